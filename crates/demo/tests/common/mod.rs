//! What the demo's test files share.

#![allow(dead_code)]

use roundtable_store::{Scoped, Store};

/// The demo organization in `store`, once generated.
pub async fn demo_scope(store: &Store) -> Scoped<'_> {
    let organization = store
        .find_organization_by_slug("demo")
        .await
        .unwrap()
        .unwrap();
    store.scoped(organization.id)
}

/// Generates the demo from the default seed into `store`; returns its organization.
pub async fn default_demo(store: &Store) -> Scoped<'_> {
    roundtable_demo::generate(store, roundtable_demo::DEFAULT_SEED)
        .await
        .unwrap();
    demo_scope(store).await
}
