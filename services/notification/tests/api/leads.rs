//! Leads' events: an agent hears of a lead made or given to them; both sides of a viewing hear
//! it booked or cancelled and are reminded a day before, except someone who asked without an
//! account, whom the platform does not write to.

use std::time::{Duration, SystemTime};

use estospaces_proto::leads_v1 as leads;
use estospaces_proto::notification_v1 as pb;

use crate::helpers::{
    TestApp, User, authorized, eventually, on_both_backends, quick_settings, spawn_app,
    spawn_app_with,
};

const TITLE: &str = "Loft by the sea";

/// Who asked: a signed-in user, or (`None`) a stranger who gave a name.
fn contact(user: Option<&User>, display_name: &str) -> leads::Contact {
    leads::Contact {
        user: user.map(|user| user.name.clone()).unwrap_or_default(),
        display_name: display_name.to_owned(),
        email: "ada@example.com".to_owned(),
        phone: String::new(),
    }
}

/// Lead `id` of `agent` about the loft.
fn lead(id: &str, agent: &User, contact: leads::Contact) -> leads::Lead {
    leads::Lead {
        name: format!("leads/{id}"),
        listing: "properties/p-1".to_owned(),
        listing_title: TITLE.to_owned(),
        agent: agent.name.clone(),
        contact: Some(contact),
        inquiry_count: 1,
        last_message: "Is the flat still available?".to_owned(),
        ..Default::default()
    }
}

/// Lead `id`'s viewing in `agent`'s slot `slot`, starting `start_in` from now, half an hour.
fn viewing(
    id: &str,
    agent: &User,
    slot: &str,
    start_in: Duration,
    contact: leads::Contact,
) -> leads::ViewingChanged {
    let start = SystemTime::now() + start_in;
    leads::ViewingChanged {
        lead: format!("leads/{id}"),
        viewing_slot: Some(leads::ViewingSlot {
            name: format!("{}/viewingSlots/{slot}", agent.name),
            listing: "properties/p-1".to_owned(),
            start_time: Some(start.into()),
            end_time: Some((start + Duration::from_secs(30 * 60)).into()),
            lead: format!("leads/{id}"),
            booked: true,
            ..Default::default()
        }),
        contact: Some(contact),
        listing_title: TITLE.to_owned(),
    }
}

/// Publishes `change` as `event_type` (`lead.viewing_booked`, `lead.viewing_cancelled`).
async fn publish_viewing(
    app: &TestApp,
    event_id: &str,
    event_type: &str,
    change: &leads::ViewingChanged,
) {
    app.publish("leads", event_id, event_type, &change.lead, change)
        .await;
}

/// `user`'s notifications made from `template`, once there are at least `count`.
async fn told(app: &TestApp, user: &User, template: &str, count: usize) -> Vec<pb::Notification> {
    eventually(&format!("{count} {template} to {}", user.name), || {
        let mut client = app.notification.clone();
        let user = user.clone();
        async move {
            let all = client
                .list_notifications(authorized(
                    pb::ListNotificationsRequest {
                        parent: user.name.clone(),
                        page_size: 100,
                        ..Default::default()
                    },
                    &user.token,
                ))
                .await
                .ok()?
                .into_inner()
                .notifications;
            let matching: Vec<_> = all.into_iter().filter(|n| n.template == template).collect();
            (matching.len() >= count).then_some(matching)
        }
    })
    .await
}

/// `user`'s notifications made from `template`, as they are now.
async fn told_now(app: &mut TestApp, user: &User, template: &str) -> Vec<pb::Notification> {
    app.inbox(user)
        .await
        .notifications
        .into_iter()
        .filter(|n| n.template == template)
        .collect()
}

/// `time` as the templates show it to a reader in UTC.
fn shown(time: SystemTime) -> String {
    jiff::Timestamp::try_from(time)
        .expect("a time")
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%A %-d %B %Y at %H:%M %Z")
        .to_string()
}

on_both_backends! {
    async fn an_agent_is_told_of_a_new_lead_and_another_agent_of_the_lead_given_to_them(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let agent = app.user("agnes@example.com").await;
        let colleague = app.user("carl@example.com").await;
        let created = leads::LeadCreated { lead: Some(lead("l-1", &agent, contact(None, "Ada Byron"))) };
        for _ in 0..2 {
            app.publish("leads", "evt-l-1", "lead.created", "leads/l-1", &created).await;
        }
        let new = told(&app, &agent, "lead_created", 1).await;
        assert_eq!(new.len(), 1, "once, however often the event comes");
        assert_eq!(new[0].title, "New lead: Ada Byron asked about Loft by the sea");
        assert!(new[0].body.contains("Is the flat still available?"), "{}", new[0].body);
        assert!(new[0].link.ends_with("/leads/l-1"), "{}", new[0].link);
        assert_eq!(new[0].category, pb::Category::Messages as i32);
        let mail = app.deliveries(&agent).await;
        assert!(mail.iter().any(|d| d.template == "lead_created" && d.channel == pb::Channel::Email as i32), "{mail:?}");

        // A signed-in contact who gave no name is "someone".
        let assigned = leads::LeadAssigned {
            lead: Some(lead("l-1", &colleague, contact(None, ""))),
            previous_agent: agent.name.clone(),
        };
        app.publish("leads", "evt-l-2", "lead.assigned", "leads/l-1", &assigned).await;
        let given = told(&app, &colleague, "lead_assigned", 1).await;
        assert_eq!(given[0].title, "A lead was given to you: someone asked about Loft by the sea");
        assert!(told_now(&mut app, &agent, "lead_assigned").await.is_empty(), "the agent who held it knows");
    }

    async fn both_sides_of_a_booked_viewing_are_told_but_not_a_contact_without_an_account(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let agent = app.user("agnes@example.com").await;
        let buyer = app.user("bea@example.com").await;
        let week = Duration::from_secs(7 * 24 * 3600);
        let signed_in = viewing("l-1", &agent, "s-1", week, contact(Some(&buyer), "Bea"));
        let start = SystemTime::try_from(signed_in.viewing_slot.clone().and_then(|s| s.start_time).expect("a start")).expect("a time");
        publish_viewing(&app, "evt-v-1", "lead.viewing_booked", &signed_in).await;
        // A stranger's lead: the event names no user to tell.
        let anonymous = viewing("l-2", &agent, "s-2", week + Duration::from_secs(3600), contact(None, "Ada Byron"));
        publish_viewing(&app, "evt-v-2", "lead.viewing_booked", &anonymous).await;

        let to_agent = told(&app, &agent, "viewing_booked_agent", 2).await;
        let newest = &to_agent[0];
        assert_eq!(newest.subject, "leads/l-2", "newest first");
        assert!(newest.body.starts_with("Ada Byron is coming to see Loft by the sea"), "{}", newest.body);
        let older = &to_agent[1];
        assert_eq!(older.title, format!("Viewing booked for Loft by the sea at {}", shown(start)));
        assert_eq!(older.category, pb::Category::Bookings as i32);
        let to_buyer = told(&app, &buyer, "viewing_booked_contact", 1).await;
        assert_eq!(to_buyer.len(), 1, "only the viewing the buyer booked: {to_buyer:?}");
        assert_eq!(to_buyer[0].title, format!("Viewing booked for Loft by the sea at {}", shown(start)));
        assert!(to_buyer[0].link.ends_with("/leads/l-1"), "{}", to_buyer[0].link);

        let cancelled = viewing("l-1", &agent, "s-1", week, contact(Some(&buyer), "Bea"));
        publish_viewing(&app, "evt-v-3", "lead.viewing_cancelled", &cancelled).await;
        for user in [&agent, &buyer] {
            let cancelled = told(&app, user, "viewing_cancelled", 1).await;
            assert_eq!(cancelled[0].title, format!("Viewing cancelled: Loft by the sea at {}", shown(start)));
        }
        // A week away: nobody is reminded yet.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(told_now(&mut app, &agent, "viewing_reminder_agent").await.is_empty());
    }

    async fn a_viewing_within_a_day_is_reminded_to_both_sides_once(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let agent = app.user("agnes@example.com").await;
        let buyer = app.user("bea@example.com").await;
        let soon = viewing("l-1", &agent, "s-1", Duration::from_secs(2 * 3600), contact(Some(&buyer), "Bea"));
        for _ in 0..2 {
            publish_viewing(&app, "evt-v-1", "lead.viewing_booked", &soon).await;
        }
        // Two days away: not due for another day.
        let later = viewing("l-2", &agent, "s-2", Duration::from_secs(48 * 3600), contact(None, "Ada Byron"));
        publish_viewing(&app, "evt-v-2", "lead.viewing_booked", &later).await;

        let reminded = told(&app, &buyer, "viewing_reminder_contact", 1).await;
        assert!(reminded[0].title.starts_with("Reminder: your viewing of Loft by the sea at "), "{}", reminded[0].title);
        told(&app, &agent, "viewing_reminder_agent", 1).await;
        tokio::time::sleep(Duration::from_millis(500)).await; // a few more reminder rounds
        let to_agent = told_now(&mut app, &agent, "viewing_reminder_agent").await;
        assert_eq!(to_agent.len(), 1, "once, and only the viewing within a day: {to_agent:?}");
        assert_eq!(to_agent[0].subject, "leads/l-1");
        assert!(to_agent[0].body.starts_with("Bea is coming to see Loft by the sea"), "{}", to_agent[0].body);
        assert_eq!(told_now(&mut app, &buyer, "viewing_reminder_contact").await.len(), 1);
    }

    async fn a_cancelled_viewing_is_not_reminded_and_a_moved_one_is_reminded_of_its_new_time(backend: Backend) {
        // Reminder rounds a second apart: each cancellation below lands between two.
        let settings = estospaces_notification::NotificationSettings {
            digest_interval: Duration::from_secs(1),
            ..quick_settings()
        };
        let mut app = spawn_app_with(backend, settings).await;
        let agent = app.user("agnes@example.com").await;
        let buyer = app.user("bea@example.com").await;
        let bea = || contact(Some(&buyer), "Bea");
        let hour = Duration::from_secs(3600);
        // Lead l-1 books and cancels; lead l-2 books, then moves to a later slot, as the leads
        // service announces a move: the old slot cancelled, the new one booked.
        let off = viewing("l-1", &agent, "s-1", 2 * hour, bea());
        publish_viewing(&app, "evt-off-booked", "lead.viewing_booked", &off).await;
        publish_viewing(&app, "evt-off-cancelled", "lead.viewing_cancelled", &off).await;
        let first = viewing("l-2", &agent, "s-2", 3 * hour, bea());
        publish_viewing(&app, "evt-moved-booked", "lead.viewing_booked", &first).await;
        publish_viewing(&app, "evt-moved-cancelled", "lead.viewing_cancelled", &first).await;
        let moved = viewing("l-2", &agent, "s-3", 4 * hour, bea());
        publish_viewing(&app, "evt-moved-again", "lead.viewing_booked", &moved).await;
        let moved_start = SystemTime::try_from(moved.viewing_slot.clone().and_then(|s| s.start_time).expect("a start")).expect("a time");

        told(&app, &agent, "viewing_reminder_agent", 1).await;
        tokio::time::sleep(Duration::from_millis(1500)).await; // another reminder round
        let reminders = told_now(&mut app, &buyer, "viewing_reminder_contact").await;
        assert_eq!(reminders.len(), 1, "one reminder, for the viewing still on: {reminders:?}");
        assert_eq!(reminders[0].subject, "leads/l-2");
        assert_eq!(reminders[0].title, format!("Reminder: your viewing of Loft by the sea at {}", shown(moved_start)));
        assert_eq!(told_now(&mut app, &agent, "viewing_reminder_agent").await.len(), 1);
    }
}
