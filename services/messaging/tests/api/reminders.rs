//! Unread messages of someone not connected become one reminder per conversation per interval.

use std::time::Duration;

use estospaces_proto::messaging_v1 as pb;

use crate::helpers::*;

async fn reminders(app: &TestApp) -> usize {
    app.outbox_event_types()
        .await
        .iter()
        .filter(|t| *t == "messaging.unread_reminder")
        .count()
}

on_both_backends! {
    async fn a_host_away_is_reminded_once_however_many_messages_wait(backend: Backend) {
        let mut app = spawn_app_with(backend, false, |s| {
            s.reminder_delay = Duration::from_millis(300);
            s.reminder_interval = Duration::from_secs(3600);
        })
        .await;
        let (guest, _, conversation) = app.conversation().await;
        app.send(&guest, &conversation.name, text("Hello?")).await.expect("sent");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while reminders(&app).await == 0 {
            assert!(tokio::time::Instant::now() < deadline, "no reminder");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        app.send(&guest, &conversation.name, text("Anyone there?")).await.expect("sent");
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(reminders(&app).await, 1, "one per conversation per interval");
    }

    async fn a_host_with_the_stream_open_is_not_reminded(backend: Backend) {
        let mut app = spawn_app_with(backend, false, |s| s.reminder_delay = Duration::from_millis(200)).await;
        let (host, listing) = app.listing().await;
        let _stream = app
            .messaging
            .clone()
            .stream_conversation_events(authorized(pb::StreamConversationEventsRequest { parent: host.name.clone(), after_cursor: String::new() }, &host.token))
            .await
            .expect("the host is connected")
            .into_inner();
        let guest = app.user();
        app.inquire(&guest, &listing, "Is it free?").await.expect("asked");
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(reminders(&app).await, 0, "a connected host sees it live");
    }
}
