//! The per-user stream: messages, typing and read receipts as they happen, and a reconnect
//! that resumes from a cursor with nothing lost or repeated.

use std::time::Duration;

use estospaces_proto::messaging_v1 as pb;
use pb::stream_conversation_events_response::Event;
use tonic::Streaming;

use crate::helpers::*;

/// Opens `user`'s stream on a connection of its own, as a device would.
async fn open(
    app: &TestApp,
    user: &User,
    after: &str,
) -> Streaming<pb::StreamConversationEventsResponse> {
    open_at(&app.messaging_url, user, after).await
}

/// Opens `user`'s stream at the replica at `url`.
async fn open_at(
    url: &str,
    user: &User,
    after: &str,
) -> Streaming<pb::StreamConversationEventsResponse> {
    let channel = tonic::transport::Channel::from_shared(url.to_owned())
        .expect("a URL")
        .connect()
        .await
        .expect("connected");
    estospaces_proto::messaging_v1::messaging_service_client::MessagingServiceClient::new(channel)
        .stream_conversation_events(authorized(
            pb::StreamConversationEventsRequest {
                parent: user.name.clone(),
                after_cursor: after.to_owned(),
            },
            &user.token,
        ))
        .await
        .expect("the stream opens")
        .into_inner()
}

async fn next(
    stream: &mut Streaming<pb::StreamConversationEventsResponse>,
) -> pb::StreamConversationEventsResponse {
    tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("an event within 10 s")
        .expect("the stream is healthy")
        .expect("the stream is open")
}

on_both_backends! {
    async fn a_stream_carries_messages_typing_and_read_receipts_as_they_happen(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        let mut guest_stream = open(&app, &guest, "").await;
        let mut host_stream = open(&app, &host, "").await;

        app.messaging
            .send_typing_indicator(authorized(pb::SendTypingIndicatorRequest { name: conversation.name.clone() }, &host.token))
            .await
            .expect("typing");
        let typing = next(&mut guest_stream).await;
        assert!(typing.cursor.is_empty(), "typing is not replayed");
        match typing.event {
            Some(Event::TypingIndicator(t)) => assert_eq!(t.user, host.name),
            other => panic!("expected typing, got {other:?}"),
        }

        let sent = app.send(&host, &conversation.name, text("Yes, May is free")).await.expect("sent");
        let heard = next(&mut guest_stream).await;
        assert!(!heard.cursor.is_empty());
        assert_eq!(heard.conversation, conversation.name);
        assert_eq!(heard.unread_count, 1);
        assert_eq!(heard.total_unread_count, 1);
        match heard.event {
            Some(Event::MessageSent(m)) => assert_eq!(m.name, sent.name),
            other => panic!("expected the message, got {other:?}"),
        }
        // The sender's own stream has it too (their other devices).
        match next(&mut host_stream).await.event {
            Some(Event::MessageSent(m)) => assert_eq!(m.name, sent.name),
            other => panic!("expected the host's own message, got {other:?}"),
        }

        app.messaging
            .mark_conversation_read(authorized(pb::MarkConversationReadRequest { name: conversation.name.clone(), last_read_message: sent.name.clone() }, &guest.token))
            .await
            .expect("read");
        match next(&mut host_stream).await.event {
            Some(Event::ReadReceipt(r)) => {
                assert_eq!(r.reader, guest.name);
                assert_eq!(r.last_read_message, sent.name);
            }
            other => panic!("expected a read receipt, got {other:?}"),
        }
        let own_receipt = next(&mut guest_stream).await;
        assert_eq!(own_receipt.total_unread_count, 0, "the guest's other devices see it read");
    }

    async fn a_reconnect_from_the_last_cursor_loses_nothing_and_repeats_nothing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        let mut stream = open(&app, &guest, "").await;
        app.send(&host, &conversation.name, text("one")).await.expect("sent");
        let first = next(&mut stream).await;
        drop(stream); // the guest's connection drops

        for words in ["two", "three", "four"] {
            app.send(&host, &conversation.name, text(words)).await.expect("sent");
        }
        let mut resumed = open(&app, &guest, &first.cursor).await;
        let mut texts = Vec::new();
        for _ in 0..3 {
            match next(&mut resumed).await.event {
                Some(Event::MessageSent(m)) => texts.push(m.text),
                other => panic!("expected a message, got {other:?}"),
            }
        }
        assert_eq!(texts, ["two", "three", "four"]);
        app.send(&host, &conversation.name, text("five")).await.expect("sent");
        match next(&mut resumed).await.event {
            Some(Event::MessageSent(m)) => assert_eq!(m.text, "five", "live again, nothing twice"),
            other => panic!("expected five, got {other:?}"),
        }

        let bad = app
            .messaging
            .clone()
            .stream_conversation_events(authorized(pb::StreamConversationEventsRequest { parent: guest.name.clone(), after_cursor: "999999".to_owned() }, &guest.token))
            .await
            .expect_err("a cursor from nowhere");
        assert_eq!(bad_fields(&bad), ["after_cursor"]);
    }

    async fn many_senders_at_once_reach_a_stream_in_order_with_none_missing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        let mut stream = open(&app, &host, "").await;
        let mut sends = Vec::new();
        for index in 0..20 {
            let mut client = app.messaging.clone();
            let request = pb::SendMessageRequest { parent: conversation.name.clone(), message: Some(text(&format!("m{index}"))) };
            let token = guest.token.clone();
            sends.push(tokio::spawn(async move { client.send_message(authorized(request, &token)).await }));
        }
        for send in sends {
            send.await.expect("ran").expect("sent");
        }
        let mut cursors = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        while seen.len() < 20 {
            let event = next(&mut stream).await;
            cursors.push(event.cursor.parse::<i64>().expect("a number"));
            if let Some(Event::MessageSent(m)) = event.event {
                assert!(seen.insert(m.text.clone()), "{} twice", m.text);
            }
        }
        assert!(cursors.windows(2).all(|w| w[1] == w[0] + 1), "no gaps: {cursors:?}");
    }
}

/// On PostgreSQL replicas tell each other: a message stored by one reaches a stream open on
/// another at once, not at the next poll, and so does a typing indicator.
#[tokio::test]
async fn a_message_sent_to_one_replica_reaches_a_stream_on_another_at_once() {
    let mut app = spawn_app_with(Backend::Postgres, false, |settings| {
        settings.stream_poll_interval = Duration::from_secs(60);
    })
    .await;
    let (guest, host, conversation) = app.conversation().await;
    let other = app.replica().await;
    let mut host_stream = open_at(&other, &host, "").await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    app.messaging
        .send_typing_indicator(authorized(
            pb::SendTypingIndicatorRequest {
                name: conversation.name.clone(),
            },
            &guest.token,
        ))
        .await
        .expect("typing");
    let started = std::time::Instant::now();
    let sent = app
        .send(&guest, &conversation.name, text("Across replicas"))
        .await
        .expect("sent");
    let mut saw_typing = false;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(3), host_stream.message())
            .await
            .expect("well before the 60 s poll")
            .expect("healthy")
            .expect("open");
        match event.event {
            Some(Event::TypingIndicator(t)) => saw_typing = t.user == guest.name,
            Some(Event::MessageSent(m)) if m.name == sent.name => break,
            _ => {}
        }
    }
    assert!(saw_typing, "the typing indicator crossed too");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
