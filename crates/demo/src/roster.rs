//! Who works where in the demo: departments, their calendars and staff plans.

use roundtable_domain::people::Role;

/// One department of the demo and the people in it; the first person leads it.
#[derive(Debug)]
pub struct DepartmentPlan {
    pub slug: &'static str,
    pub name: &'static str,
    /// The parent's slug.
    pub parent: Option<&'static str>,
    /// Index into the demo's calendars: 0 London, 1 New York, 2 support hours.
    pub calendar: usize,
    pub customer_facing: bool,
    pub staff: &'static [(&'static str, Role)],
}

use Role::{Executive, Lead, Member};

pub const DEPARTMENTS: &[DepartmentPlan] = &[
    DepartmentPlan {
        slug: "executive-office",
        name: "Executive Office",
        parent: None,
        calendar: 0,
        customer_facing: false,
        staff: &[
            ("Chief Executive Officer", Executive),
            ("Chief Operating Officer", Executive),
            ("Chief Financial Officer", Executive),
            ("Chief of Staff", Member),
        ],
    },
    DepartmentPlan {
        slug: "sales",
        name: "Sales",
        parent: None,
        calendar: 1,
        customer_facing: true,
        staff: &[
            ("Head of Sales", Lead),
            ("Account Executive", Member),
            ("Account Executive", Member),
            ("Account Executive", Member),
            ("Key Account Manager", Member),
            ("Key Account Manager", Member),
            ("Sales Operations Analyst", Member),
        ],
    },
    DepartmentPlan {
        slug: "sales-development",
        name: "Sales Development",
        parent: Some("sales"),
        calendar: 1,
        customer_facing: true,
        staff: &[
            ("Sales Development Manager", Lead),
            ("Sales Development Representative", Member),
            ("Sales Development Representative", Member),
            ("Sales Development Representative", Member),
        ],
    },
    DepartmentPlan {
        slug: "marketing",
        name: "Marketing",
        parent: None,
        calendar: 0,
        customer_facing: false,
        staff: &[
            ("Head of Marketing", Lead),
            ("Demand Generation Manager", Member),
            ("Campaign Manager", Member),
            ("Content Strategist", Member),
            ("Marketing Analyst", Member),
            ("Brand Designer", Member),
            ("Product Marketing Manager", Member),
        ],
    },
    DepartmentPlan {
        slug: "customer-service",
        name: "Customer Service",
        parent: None,
        calendar: 2,
        customer_facing: true,
        staff: &[
            ("Head of Customer Service", Lead),
            ("Service Team Lead", Lead),
            ("Customer Service Agent", Member),
            ("Customer Service Agent", Member),
            ("Customer Service Agent", Member),
            ("Customer Service Agent", Member),
            ("Returns Specialist", Member),
            ("Quality Coach", Member),
        ],
    },
    DepartmentPlan {
        slug: "finance",
        name: "Finance",
        parent: None,
        calendar: 0,
        customer_facing: false,
        staff: &[
            ("Finance Director", Lead),
            ("Financial Controller", Member),
            ("Accounts Receivable Specialist", Member),
            ("Financial Planning Analyst", Member),
            ("Payroll Specialist", Member),
        ],
    },
    DepartmentPlan {
        slug: "operations",
        name: "Operations",
        parent: None,
        calendar: 1,
        customer_facing: false,
        staff: &[
            ("Head of Operations", Lead),
            ("Fulfilment Manager", Member),
            ("Supply Planner", Member),
            ("Logistics Coordinator", Member),
            ("Process Improvement Lead", Member),
            ("Warehouse Supervisor", Member),
        ],
    },
    DepartmentPlan {
        slug: "it",
        name: "IT",
        parent: None,
        calendar: 0,
        customer_facing: false,
        staff: &[
            ("Head of IT", Lead),
            ("Service Desk Analyst", Member),
            ("Systems Engineer", Member),
            ("Data Engineer", Member),
            ("Security Analyst", Member),
        ],
    },
    DepartmentPlan {
        slug: "people-and-culture",
        name: "People & Culture",
        parent: None,
        calendar: 0,
        customer_facing: false,
        staff: &[
            ("Head of People", Lead),
            ("People Partner", Member),
            ("Recruiter", Member),
        ],
    },
];

pub const FIRST_NAMES: &[&str] = &[
    "Aisha", "Ben", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
    "Liam", "Mei", "Nikhil", "Olivia", "Pablo", "Quinn", "Rosa", "Samir", "Tara", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Chloe", "Diego", "Esme", "Felix", "Hana",
    "Isaac", "Jade", "Kofi", "Lena", "Mateo", "Noor", "Oscar", "Priya", "Rafael", "Sofia", "Theo",
];

pub const LAST_NAMES: &[&str] = &[
    "Adeyemi",
    "Bergström",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Gallagher",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "O'Brien",
    "Patel",
    "Quintero",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umar",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Novak",
    "Mensah",
    "Costa",
    "Brennan",
];
