//! What requests look like, service by service: titles, details, questions and
//! resolutions, plus the spotlight requests and the words used in comments and notes.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Reference {
    Order,
    Case,
    Quote,
    None,
}

/// What requests for one service look like.
pub(super) struct Catalogue {
    pub(super) service: &'static str,
    /// Relative volume.
    pub(super) weight: u32,
    /// `{account}`, `{order}`, `{campaign}` and `{discount}` are filled in.
    pub(super) titles: &'static [&'static str],
    pub(super) details: &'static [&'static str],
    pub(super) questions: &'static [&'static str],
    pub(super) resolutions: &'static [&'static str],
    pub(super) reference: Reference,
    /// The share of requests with an external customer affected or waiting.
    pub(super) impact: f64,
}

pub(super) const CATALOGUE: &[Catalogue] = &[
    Catalogue {
        service: "IT support",
        weight: 24,
        titles: &[
            "Laptop will not boot",
            "Cannot log in to the CRM",
            "Outlook keeps asking for my password",
            "VPN drops every few minutes",
            "Need access to the shared finance drive",
            "New starter needs a laptop and accounts",
            "Printer on the second floor is jammed",
            "Web shop back office is very slow",
            "Locked out after a password reset",
            "Headset not recognised on calls",
            "Second monitor for the new desk",
            "Video calls keep freezing",
            "Spam getting through to the sales inbox",
            "Excel crashes when opening the forecast",
            "Cannot export reports from the CRM",
            "Laptop battery swelling",
            "Access to the returns dashboard",
            "Two-factor app on a new phone",
            "Shared calendar not syncing",
            "Wi-Fi in the meeting room keeps dropping",
        ],
        details: &[
            "Started this morning; restarting did not help.",
            "Happens several times a day and I lose my work each time.",
            "Needed before Monday's customer calls.",
            "Two of us in the team have the same problem.",
            "Error message says the account is disabled.",
        ],
        questions: &[
            "Could you send a screenshot of the error message?",
            "Does it happen on the office network, at home, or both?",
            "Which laptop is it (the asset tag on the bottom)?",
        ],
        resolutions: &[
            "Fixed: the account was locked by the old password on the phone. Updated it with you.",
            "Replaced the laptop; your files were restored from the backup.",
            "Access granted; it may take ten minutes to appear.",
            "Updated the driver and the problem has not come back in testing.",
        ],
        reference: Reference::Case,
        impact: 0.06,
    },
    Catalogue {
        service: "Qualified leads",
        weight: 15,
        titles: &[
            "Leads from the Leeds trade show",
            "Web shop trade enquiries this week",
            "Climbing club leads from the spring newsletter",
            "Retailer leads from the Munich outdoor fair",
            "School trip organisers from the webinar",
            "Leads from the Boston outdoor expo",
            "Trade enquiries from the new catalogue",
            "Scout group leads from the summer campaign",
            "Sign-ups from the wholesale landing page",
            "Leads from the Dublin buyer day",
            "Partner referrals for the quarter",
            "Lapsed retailers who re-engaged",
            "Leads from the Kendal mountain festival",
            "Bulk-order enquiries from universities",
        ],
        details: &[
            "Please qualify and hand over the ones that meet the agreed definition.",
            "Contact details checked; several asked for a call this week.",
            "Mostly independents with 5 to 20 stores.",
            "Two of them mentioned competitors' prices.",
        ],
        questions: &[
            "Which of these have a named buyer? Half are missing one.",
            "Can you confirm the store counts before we call?",
        ],
        resolutions: &[
            "Qualified and handed over with their history in the CRM.",
            "Handed over the ones that meet the definition; the rest are in nurture.",
            "Done: buyers verified and calls booked for the account executives.",
        ],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Escalated fulfilment issues",
        weight: 12,
        titles: &[
            "Customer chasing order {order} stuck at the depot",
            "Wrong size tent delivered on {order}",
            "Parcel marked delivered but not received",
            "Order {order} split across two deliveries",
            "Missing tent poles in delivery",
            "Sleeping bags damaged on arrival",
            "Express order delivered two days late",
            "Order {order} held at customs",
            "Club order short by six jackets",
            "Customer waiting on replacement boots",
            "Return label never arrived",
            "Delivery sent to an old address",
        ],
        details: &[
            "The customer has called twice and needs it before their trip.",
            "Promised delivery date has passed; carrier tracking has not moved.",
            "Customer is calm but wants a date today.",
            "This is a repeat customer with a large club order.",
        ],
        questions: &[
            "What delivery date did the customer get at checkout?",
            "Has the customer already been refunded for shipping?",
        ],
        resolutions: &[
            "Called the customer with the new delivery date and a voucher.",
            "Customer updated; the replacement is on its way.",
            "Resolved with the carrier; the customer has confirmed receipt.",
        ],
        reference: Reference::Order,
        impact: 0.6,
    },
    Catalogue {
        service: "Delivery exception fixes",
        weight: 12,
        titles: &[
            "Re-ship lost parcel for {order}",
            "Carrier claim for a crushed box",
            "Swap out-of-stock stove for the new model",
            "Redirect parcel to the customer's office",
            "Replacement for a faulty head torch",
            "Courier returned {order} to sender",
            "Stock swap for a discontinued colour",
            "Re-ship after three failed delivery attempts",
            "Claim for a water-damaged order",
            "Urgent re-ship before an expedition date",
            "Address correction for a school order",
            "Partial shipment: send the rest of {order}",
        ],
        details: &[
            "Customer needs it by Friday; happy with a substitute colour.",
            "Photos of the damage are in the case notes.",
            "The carrier says the address is incomplete.",
            "Second time this order has gone wrong.",
        ],
        questions: &[
            "Is the customer happy with the substitute, or do they want a refund?",
            "Can you get the customer's phone number for the courier?",
        ],
        resolutions: &[
            "Re-shipped by express; new delivery date sent to customer service.",
            "Claim filed with the carrier and a replacement dispatched today.",
            "Substitute shipped; the customer confirmed the change.",
        ],
        reference: Reference::Order,
        impact: 0.6,
    },
    Catalogue {
        service: "Quote and discount approvals",
        weight: 11,
        titles: &[
            "{discount}% discount for {account} reorder",
            "Extended payment terms for {account}",
            "Bulk pricing for {account}",
            "Volume discount for {account}",
            "Free shipping on a club order for {account}",
            "Counter-offer for {account}",
            "Price match request from {account}",
            "Early-season discount for {account}",
            "60-day terms for a new retailer",
            "Quote for 40 tents for a scout jamboree",
            "Discount on the discontinued range",
            "Multi-season deal for {account}",
        ],
        details: &[
            "Competitor has offered better terms; the buyer decides this week.",
            "Order size is about twice last season's.",
            "Margin stays above the floor at this discount.",
            "Customer's deadline is the end of the week.",
        ],
        questions: &[
            "What margin does this leave after shipping?",
            "What volume is the customer committing to?",
        ],
        resolutions: &[
            "Approved as asked.",
            "Approved with 30-day terms instead of 60.",
            "Counter-offer: a smaller discount in exchange for a season commitment.",
            "Declined: below the margin floor. Suggested free shipping instead.",
        ],
        reference: Reference::Quote,
        impact: 0.3,
    },
    Catalogue {
        service: "Lead feedback",
        weight: 4,
        titles: &[
            "Outcome of the {campaign} leads",
            "Why were the trade show leads rejected?",
            "Feedback on the webinar leads",
            "Status of the spring newsletter leads",
        ],
        details: &["We need outcomes for the campaign review on Thursday."],
        questions: &["Which batch do you mean, the first or the second upload?"],
        resolutions: &[
            "Outcomes recorded for every lead, with reasons for the rejected ones.",
            "Done: most were too small; see the reasons in the CRM.",
        ],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Campaign performance data",
        weight: 2,
        titles: &[
            "Campaign figures for the monthly close",
            "Spend reconciliation for paid social",
            "Attributed revenue for the spring campaign",
        ],
        details: &["Needed for the close by the third working day."],
        questions: &["Which cost centres should the extract cover?"],
        resolutions: &["Figures sent; they reconcile with the ledger."],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Process improvements",
        weight: 3,
        titles: &[
            "Next-day delivery for key accounts",
            "Faster returns for mid-market retailers",
            "Split deliveries for multi-store orders",
            "Show stock levels to trade customers",
            "Pre-season reservation process",
        ],
        details: &["Two accounts have asked for this in their reviews."],
        questions: &["How many orders a week would this affect?"],
        resolutions: &[
            "Agreed: starts next month, announced to the accounts.",
            "Not now: the carrier contract does not allow it. Revisit in the autumn.",
        ],
        reference: Reference::None,
        impact: 0.1,
    },
    Catalogue {
        service: "Customer feedback digest",
        weight: 2,
        titles: &[
            "Feedback digest for the new tent range",
            "What customers say about delivery times",
            "Fortnightly feedback digest",
            "Complaints about rain jacket sizing",
        ],
        details: &["For the product review meeting."],
        questions: &["Do you want the verbatims grouped by segment?"],
        resolutions: &["Digest shared: themes, counts and examples."],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Account handover",
        weight: 3,
        titles: &[
            "Handover: {account}",
            "New account {account}: first orders",
            "Handover notes for {account}",
        ],
        details: &["Signed last week; first order expected soon."],
        questions: &["Who is the buyer's backup contact?"],
        resolutions: &["Handover done: terms, contacts and sensitivities are in the CRM."],
        reference: Reference::None,
        impact: 0.2,
    },
    Catalogue {
        service: "Sales forecast",
        weight: 2,
        titles: &[
            "Forecast for next quarter by product line",
            "Updated forecast after the trade show",
            "Winter range forecast",
        ],
        details: &["For the budget review and the stock plan."],
        questions: &["Should this include the new club accounts?"],
        resolutions: &["Forecast shared, by month and product line."],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Launch briefings",
        weight: 2,
        titles: &[
            "Briefing for the ultralight tent launch",
            "FAQ for the new kids' range",
            "Briefing: autumn boots launch",
        ],
        details: &["Agents need it a week before the launch."],
        questions: &["Is the launch date confirmed?"],
        resolutions: &["Brief and FAQ shared with the team."],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Purchase approvals",
        weight: 4,
        titles: &[
            "Extra pallets of winter jackets",
            "New carrier contract for Ireland",
            "Packing materials for peak season",
            "Replacement forklift battery",
            "Warehouse temps for peak",
        ],
        details: &["Supplier quotes attached; the price holds until Friday."],
        questions: &["Which budget line should this go against?"],
        resolutions: &[
            "Approved against the peak-season line.",
            "Approved on condition that we order in two tranches.",
        ],
        reference: Reference::None,
        impact: 0.0,
    },
    Catalogue {
        service: "Hiring support",
        weight: 3,
        titles: &[
            "Hire a second key account manager",
            "Two seasonal customer service agents",
            "Warehouse supervisor for the night shift",
            "Replace a departing account executive",
            "Returns specialist for peak season",
        ],
        details: &["Role approved in the budget; we would like someone before peak."],
        questions: &["Can you send the interview panel's availability?"],
        resolutions: &["Shortlist of three shared; interviews booked."],
        reference: Reference::None,
        impact: 0.0,
    },
];

/// Requests placed so that every queue shows work and the clocks show every
/// state: (service, share of the fulfilment target used by now, where it stops).
pub(super) const SPOTLIGHT: &[(&str, f64, f64, Stop)] = &[
    ("IT support", 0.8, 0.9, Stop::InProgress),
    ("Delivery exception fixes", 0.8, 0.9, Stop::InProgress),
    ("Qualified leads", 0.8, 0.9, Stop::Acknowledged),
    ("Escalated fulfilment issues", 1.4, 2.6, Stop::InProgress),
    ("Quote and discount approvals", 1.3, 2.2, Stop::Acknowledged),
    ("Lead feedback", 1.2, 1.8, Stop::New),
    ("Account handover", 0.1, 0.4, Stop::InProgress),
    ("Hiring support", 0.2, 0.5, Stop::InProgress),
    ("Process improvements", 0.05, 0.3, Stop::New),
    ("Purchase approvals", 0.2, 0.5, Stop::Waiting),
];

pub(super) const ACCOUNTS: &[&str] = &[
    "Alpine Outfitters",
    "Summit Sports",
    "Northern Trails",
    "Ridgeway Stores",
    "Coastline Surf & Ski",
    "Peak & Pine",
    "Trailhead Co",
    "Greenfield School",
    "Moorland Climbing Club",
    "Lakeside Scouts",
    "Highland Adventure Stores",
    "Canyon Gear",
];

pub(super) const CAMPAIGNS: &[&str] = &[
    "spring newsletter",
    "trade show",
    "webinar",
    "wholesale landing page",
    "summer campaign",
];

pub(super) const ROLES: &[&str] = &[
    "Key Account Manager",
    "Customer Service Agent",
    "Warehouse Supervisor",
    "Account Executive",
    "Returns Specialist",
];

pub(super) const UPDATES: &[&str] = &[
    "Looking into this now.",
    "Thanks, we have what we need and are on it.",
    "Picked this up; expect an update by the end of the day.",
    "We can see the problem and are working on it.",
];

pub(super) const ANSWERS: &[&str] = &[
    "Sent it over, thanks.",
    "Added the details to the description.",
    "Checked with the customer: see above.",
    "Here you go. Sorry, should have included it at the start.",
];

pub(super) const INTERNAL_NOTES: &[&str] = &[
    "Second one like this this week; worth a root-cause look.",
    "Waiting on the carrier's reply before we promise anything.",
    "Checked with the team lead: fine to go ahead.",
    "Watch this one, the account is up for renewal.",
];

pub(super) const QUALITY_NOTES: &[&str] = &[
    "The key details were missing at first.",
    "Had to chase the deadline and the contact.",
    "Details only came after two reminders.",
];

pub(super) const CLOSE_NOTES: &[&str] = &["", "", "", "Thanks, all good.", "Confirmed, thank you."];

pub(super) const CANCEL_NOTES: &[&str] = &[
    "No longer needed.",
    "The customer cancelled the order.",
    "Duplicate of an earlier request.",
    "Sorted it ourselves in the end.",
];

pub(super) const REOPEN_NOTES: &[&str] = &[
    "Still happening this morning.",
    "The customer says it has not arrived after all.",
    "This is not quite what we asked for.",
];
