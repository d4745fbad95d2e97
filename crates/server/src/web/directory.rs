//! Names for ids: the departments and people of the viewer's organization,
//! read once per page so tables can say "Marketing" rather than "7".

use roundtable_domain::ids::{DepartmentId, PersonId};
use roundtable_store::departments::Department;
use roundtable_store::people::{PeopleFilter, Person};
use roundtable_store::{Scoped, StoreError, every_page};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Directory {
    /// In name order.
    pub departments: Vec<Department>,
    people: HashMap<PersonId, Person>,
}

impl Directory {
    pub async fn load(scoped: &Scoped<'_>) -> Result<Directory, StoreError> {
        let mut departments = every_page(|page| scoped.list_departments(page)).await?;
        departments.sort_by(|a, b| a.name.cmp(&b.name));
        let people = every_page(|page| scoped.list_people(PeopleFilter::default(), page))
            .await?
            .into_iter()
            .map(|person| (person.id, person))
            .collect();
        Ok(Directory {
            departments,
            people,
        })
    }

    /// Every department as (id, name), by name: what a form's select offers.
    pub fn department_choices(&self) -> Vec<(i64, String)> {
        self.departments
            .iter()
            .map(|department| (department.id.0, department.name.clone()))
            .collect()
    }

    pub fn department(&self, id: i64) -> Option<&Department> {
        self.departments
            .iter()
            .find(|department| department.id == DepartmentId(id))
    }

    pub fn department_name(&self, id: i64) -> String {
        self.department(id)
            .map(|department| department.name.clone())
            .unwrap_or_else(|| format!("Department {id}"))
    }

    pub fn person_name(&self, id: Option<i64>) -> String {
        match id {
            Some(id) => self
                .people
                .get(&PersonId(id))
                .map(|person| person.name.clone())
                .unwrap_or_else(|| format!("Person {id}")),
            None => "nobody".to_owned(),
        }
    }

    /// The department a person belongs to now.
    pub fn person_department(&self, id: Option<i64>) -> Option<i64> {
        id.and_then(|id| self.people.get(&PersonId(id)))
            .and_then(|person| person.department_id)
            .map(|department| department.0)
    }

    /// Everyone, in name order.
    pub fn people_by_name(&self) -> Vec<&Person> {
        let mut people: Vec<&Person> = self.people.values().collect();
        people.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.0.cmp(&b.id.0)));
        people
    }
}
