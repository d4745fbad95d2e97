//! Typed identifiers, so a department id can never be passed where a person id
//! is expected. They are plain database keys: meaningful only together with the
//! organization that scopes every query.

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(formatter)
            }
        }
    };
}

id_type!(
    /// A tenant. Nothing ever crosses between organizations.
    OrganizationId
);
id_type!(
    /// A department of an organization.
    DepartmentId
);
id_type!(
    /// A person of an organization.
    PersonId
);
id_type!(
    /// A business calendar of an organization.
    CalendarId
);
id_type!(
    /// An API token of a person.
    TokenId
);
