//! Notices about a request, in the transaction of the change. Who is told is
//! decided here; what they read is worded by `roundtable_domain::notices`.

use super::Request;
use crate::notifications::Notice;
use crate::{StoreError, WriteTransaction};
use roundtable_domain::ids::{OrganizationId, PersonId};
use roundtable_domain::notices::RequestNotice;

/// Tells `recipients` (other than `actor`, who knows) about a request, in
/// the transaction of the change.
pub(crate) struct Telling<'a> {
    pub(crate) recipients: &'a [PersonId],
    /// Who made the change (and so needs no telling).
    pub(crate) actor: Option<PersonId>,
    pub(crate) notice: RequestNotice<'a>,
}

pub(crate) async fn tell(
    transaction: &mut WriteTransaction,
    organization: OrganizationId,
    request: &Request,
    telling: Telling<'_>,
    stamp: &str,
) -> Result<(), StoreError> {
    let Telling {
        recipients,
        actor,
        notice,
    } = telling;
    let wording = notice.wording(&request.title);
    let link = notice.link(request.id);
    let notice = Notice {
        recipient: PersonId(0),
        kind: notice.kind(),
        subject_kind: "request",
        subject_id: Some(request.id),
        title: wording.title,
        body: wording.body,
        link,
    };
    crate::notifications::notify_each(transaction, organization, recipients, actor, notice, stamp)
        .await
}
