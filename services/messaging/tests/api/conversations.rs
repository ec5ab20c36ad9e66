//! Inquiries, messages, edits, deletions, reading and search, as participants use them.

use std::time::Duration;

use estospaces_proto::messaging_v1 as pb;
use tonic::Code;

use crate::helpers::*;

on_both_backends! {
    async fn an_inquiry_starts_one_conversation_per_guest_and_listing_and_finds_it_again(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (host, listing) = app.listing().await;
        let guest = app.user();

        let first = app.inquire(&guest, &listing, "Is the flat free in May?").await.expect("asked");
        assert!(first.created);
        let conversation = first.conversation.expect("a conversation");
        assert_eq!(conversation.listing, listing);
        assert_eq!(conversation.listing_title, "Bright flat by the river");
        assert_eq!(conversation.owner, host.name);
        assert_eq!(conversation.inquirer, guest.name);
        assert_eq!(conversation.topic, pb::conversation::Topic::Stay as i32);
        assert!(!conversation.contact_details_allowed, "stays mask until a booking");

        let again = app.inquire(&guest, &listing, "And in June?").await.expect("asked again");
        assert!(!again.created);
        assert_eq!(again.conversation.expect("a conversation").name, conversation.name);

        let host_view = app.get(&host, &conversation.name).await;
        assert_eq!(host_view.unread_count, 2);
        assert_eq!(host_view.last_message.expect("a last message").text, "And in June?");
        let texts: Vec<String> = app.messages(&host, &conversation.name).await.into_iter().map(|m| m.text).collect();
        assert_eq!(texts, ["And in June?", "Is the flat free in May?"], "newest first");
        assert_eq!(
            app.outbox_event_types().await.iter().filter(|t| *t == "messaging.inquiry_created").count(),
            1,
            "one inquiry event for one conversation"
        );
    }

    async fn the_same_request_id_sends_a_message_once_even_when_sent_at_once(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, _, conversation) = app.conversation().await;
        let message = text("Can we check in early?");
        let mut sends = Vec::new();
        for _ in 0..4 {
            let mut client = app.messaging.clone();
            let request = pb::SendMessageRequest { parent: conversation.name.clone(), message: Some(message.clone()) };
            let token = guest.token.clone();
            sends.push(tokio::spawn(async move { client.send_message(authorized(request, &token)).await }));
        }
        let mut names = Vec::new();
        for send in sends {
            names.push(send.await.expect("ran").expect("sent").into_inner().message.expect("a message").name);
        }
        names.dedup();
        assert_eq!(names.len(), 1, "one message for one request id: {names:?}");
        let found = app.messages(&guest, &conversation.name).await;
        assert_eq!(found.iter().filter(|m| m.text == "Can we check in early?").count(), 1);
    }

    async fn a_sender_edits_within_the_window_and_deletes_for_everyone(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        let sent = app.send(&guest, &conversation.name, text("We are two adluts")).await.expect("sent");

        let edited = app
            .messaging
            .update_message(authorized(
                pb::UpdateMessageRequest {
                    message: Some(pb::Message { name: sent.name.clone(), text: "We are two adults".to_owned(), ..Default::default() }),
                    update_mask: None,
                },
                &guest.token,
            ))
            .await
            .expect("edited")
            .into_inner()
            .message
            .expect("a message");
        assert_eq!(edited.text, "We are two adults");
        assert!(edited.edit_time.is_some());

        let host_edit = app
            .messaging
            .update_message(authorized(
                pb::UpdateMessageRequest {
                    message: Some(pb::Message { name: sent.name.clone(), text: "hacked".to_owned(), ..Default::default() }),
                    update_mask: None,
                },
                &host.token,
            ))
            .await
            .expect_err("only the sender edits");
        assert_eq!(host_edit.code(), Code::PermissionDenied);

        let unread_before = app.get(&host, &conversation.name).await.unread_count;
        let tombstone = app
            .messaging
            .delete_message(authorized(pb::DeleteMessageRequest { name: sent.name.clone() }, &guest.token))
            .await
            .expect("deleted")
            .into_inner()
            .message
            .expect("a tombstone");
        assert!(tombstone.delete_time.is_some());
        assert!(tombstone.text.is_empty());
        let seen_by_host = app.messages(&host, &conversation.name).await;
        let gone = seen_by_host.iter().find(|m| m.name == sent.name).expect("the tombstone stays");
        assert!(gone.text.is_empty() && gone.delete_time.is_some());
        assert_eq!(app.get(&host, &conversation.name).await.unread_count, unread_before - 1);

        let edit_deleted = app
            .messaging
            .update_message(authorized(
                pb::UpdateMessageRequest {
                    message: Some(pb::Message { name: sent.name.clone(), text: "back".to_owned(), ..Default::default() }),
                    update_mask: None,
                },
                &guest.token,
            ))
            .await
            .expect_err("a deleted message stays deleted");
        assert_eq!(reason(&edit_deleted), "MESSAGE_DELETED");
    }

    async fn an_edit_after_the_window_is_refused(backend: Backend) {
        let mut app = spawn_app_with(backend, false, |s| s.edit_window = Duration::from_millis(200)).await;
        let (guest, _, conversation) = app.conversation().await;
        let sent = app.send(&guest, &conversation.name, text("See you at 3")).await.expect("sent");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let err = app
            .messaging
            .update_message(authorized(
                pb::UpdateMessageRequest {
                    message: Some(pb::Message { name: sent.name, text: "See you at 4".to_owned(), ..Default::default() }),
                    update_mask: None,
                },
                &guest.token,
            ))
            .await
            .expect_err("too late");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason(&err), "EDIT_WINDOW_CLOSED");
    }

    async fn reading_clears_the_unread_count_and_the_list_shows_the_total(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        let (_, _, second) = {
            let (listing_host, listing) = app.listing().await;
            let started = app.inquire(&guest, &listing, "Pets allowed?").await.expect("asked");
            (listing_host, listing, started.conversation.expect("a conversation"))
        };
        app.send(&host, &conversation.name, text("Yes, May is free")).await.expect("sent");
        app.send(&host, &conversation.name, text("Shall I hold it?")).await.expect("sent");

        let listed = app
            .messaging
            .list_conversations(authorized(pb::ListConversationsRequest { parent: guest.name.clone(), ..Default::default() }, &guest.token))
            .await
            .expect("listed")
            .into_inner();
        assert_eq!(listed.conversations.len(), 2);
        assert_eq!(listed.conversations[0].name, conversation.name, "the most recently active first");
        assert_eq!(listed.conversations[0].unread_count, 2);
        assert_eq!(listed.conversations[1].name, second.name);
        assert_eq!(listed.total_unread_count, 2);

        let read = app
            .messaging
            .mark_conversation_read(authorized(pb::MarkConversationReadRequest { name: conversation.name.clone(), last_read_message: String::new() }, &guest.token))
            .await
            .expect("read")
            .into_inner();
        assert_eq!(read.total_unread_count, 0);
        let receipt = read.read_receipt.expect("a receipt");
        assert_eq!(receipt.reader, guest.name);
        let host_view = app.get(&host, &conversation.name).await;
        let guest_position = host_view.participants.iter().find(|p| p.user == guest.name).expect("the guest");
        assert_eq!(guest_position.last_read_message, receipt.last_read_message, "the host sees how far the guest read");

        let unread_only = app
            .messaging
            .list_conversations(authorized(pb::ListConversationsRequest { parent: guest.name.clone(), unread_only: true, ..Default::default() }, &guest.token))
            .await
            .expect("listed")
            .into_inner();
        assert!(unread_only.conversations.is_empty());
    }

    async fn search_finds_every_word_in_ones_own_conversations_only(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        app.send(&host, &conversation.name, text("The Wi-Fi password is on the fridge")).await.expect("sent");
        app.send(&guest, &conversation.name, text("Is parking free nearby?")).await.expect("sent");
        let (stranger, _, theirs) = app.conversation().await;
        app.send(&stranger, &theirs.name, text("Where is the wifi password?")).await.expect("sent");

        let search = |user: &User, query: &str| {
            let mut client = app.messaging.clone();
            let request = authorized(pb::SearchMessagesRequest { parent: user.name.clone(), query: query.to_owned(), ..Default::default() }, &user.token);
            async move { client.search_messages(request).await }
        };
        let found = search(&guest, "fridge PASSWORD").await.expect("searched").into_inner().messages;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "The Wi-Fi password is on the fridge");
        let none = search(&guest, "where").await.expect("searched").into_inner().messages;
        assert!(none.is_empty(), "another user's conversation is not searched: {none:?}");
        let err = search(&guest, "%%").await.expect_err("no words");
        assert_eq!(bad_fields(&err), ["query"]);
    }

    async fn bad_input_is_refused_with_the_fields_named_and_nothing_stored(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, _, conversation) = app.conversation().await;
        let before = app.messages(&guest, &conversation.name).await.len();
        for (message, field) in [
            (pb::Message { text: "   ".to_owned(), ..Default::default() }, "message.text"),
            (pb::Message { text: "x".repeat(4001), ..Default::default() }, "message.text"),
            (pb::Message { text: "hi\u{0}".to_owned(), ..Default::default() }, "message.text"),
            (pb::Message { text: "hi".to_owned(), attachments: vec!["../etc/passwd".to_owned()], ..Default::default() }, "message.attachments[0]"),
        ] {
            let err = app.send(&guest, &conversation.name, message).await.expect_err("refused");
            assert_eq!(err.code(), Code::InvalidArgument);
            assert_eq!(bad_fields(&err), [field]);
        }
        let err = app.send(&guest, "conversations/../../x", text("hi")).await.expect_err("refused");
        assert_eq!(bad_fields(&err), ["parent"]);
        let err = app.inquire(&guest, "listings/1", "hi").await.expect_err("refused");
        assert_eq!(bad_fields(&err), ["listing"]);
        let err = app.inquire(&guest, "properties/00000000-0000-0000-0000-000000000000", "hi").await.expect_err("no such listing");
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(app.messages(&guest, &conversation.name).await.len(), before);
    }
}
