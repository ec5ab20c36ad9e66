//! Who may call each RPC: a conversation is its two participants' (and, once reported, the
//! admins'); a user's lists, stream, search and blocks are theirs alone.

use estospaces_auth::Role;
use estospaces_proto::messaging_v1 as pb;
use tonic::Code;

use crate::helpers::*;

fn ok<T>(result: Result<T, tonic::Status>) -> Result<(), tonic::Status> {
    result.map(|_| ())
}

/// Every call a stranger might make on `conversation` (with `message` in it) and on `owner`'s
/// own collections, each answered.
async fn every_call(
    app: &TestApp,
    token: &str,
    owner: &User,
    conversation: &str,
    message: &str,
) -> Vec<(&'static str, Result<(), tonic::Status>)> {
    let mut client = app.messaging.clone();
    vec![
        (
            "GetConversation",
            ok(client
                .get_conversation(authorized(
                    pb::GetConversationRequest {
                        name: conversation.to_owned(),
                    },
                    token,
                ))
                .await),
        ),
        (
            "ListMessages",
            ok(client
                .list_messages(authorized(
                    pb::ListMessagesRequest {
                        parent: conversation.to_owned(),
                        ..Default::default()
                    },
                    token,
                ))
                .await),
        ),
        (
            "SendMessage",
            ok(client
                .send_message(authorized(
                    pb::SendMessageRequest {
                        parent: conversation.to_owned(),
                        message: Some(text("hi")),
                    },
                    token,
                ))
                .await),
        ),
        (
            "UpdateMessage",
            ok(client
                .update_message(authorized(
                    pb::UpdateMessageRequest {
                        message: Some(pb::Message {
                            name: message.to_owned(),
                            text: "x".to_owned(),
                            ..Default::default()
                        }),
                        update_mask: None,
                    },
                    token,
                ))
                .await),
        ),
        (
            "DeleteMessage",
            ok(client
                .delete_message(authorized(
                    pb::DeleteMessageRequest {
                        name: message.to_owned(),
                    },
                    token,
                ))
                .await),
        ),
        (
            "MarkConversationRead",
            ok(client
                .mark_conversation_read(authorized(
                    pb::MarkConversationReadRequest {
                        name: conversation.to_owned(),
                        last_read_message: String::new(),
                    },
                    token,
                ))
                .await),
        ),
        (
            "SendTypingIndicator",
            ok(client
                .send_typing_indicator(authorized(
                    pb::SendTypingIndicatorRequest {
                        name: conversation.to_owned(),
                    },
                    token,
                ))
                .await),
        ),
        (
            "CreateReport",
            ok(client
                .create_report(authorized(
                    pb::CreateReportRequest {
                        report: Some(pb::Report {
                            subject: conversation.to_owned(),
                            reason: pb::report::Reason::Spam as i32,
                            ..Default::default()
                        }),
                    },
                    token,
                ))
                .await),
        ),
        (
            "ListConversations",
            ok(client
                .list_conversations(authorized(
                    pb::ListConversationsRequest {
                        parent: owner.name.clone(),
                        ..Default::default()
                    },
                    token,
                ))
                .await),
        ),
        (
            "StreamConversationEvents",
            ok(client
                .stream_conversation_events(authorized(
                    pb::StreamConversationEventsRequest {
                        parent: owner.name.clone(),
                        after_cursor: String::new(),
                    },
                    token,
                ))
                .await),
        ),
        (
            "SearchMessages",
            ok(client
                .search_messages(authorized(
                    pb::SearchMessagesRequest {
                        parent: owner.name.clone(),
                        query: "hi".to_owned(),
                        ..Default::default()
                    },
                    token,
                ))
                .await),
        ),
        (
            "CreateBlock",
            ok(client
                .create_block(authorized(
                    pb::CreateBlockRequest {
                        parent: owner.name.clone(),
                        block: Some(pb::Block {
                            blocked_user: format!("users/{}", uuid::Uuid::now_v7()),
                            ..Default::default()
                        }),
                    },
                    token,
                ))
                .await),
        ),
        (
            "ListBlocks",
            ok(client
                .list_blocks(authorized(
                    pb::ListBlocksRequest {
                        parent: owner.name.clone(),
                        ..Default::default()
                    },
                    token,
                ))
                .await),
        ),
        (
            "DeleteBlock",
            ok(client
                .delete_block(authorized(
                    pb::DeleteBlockRequest {
                        name: format!("{}/blocks/{}", owner.name, uuid::Uuid::now_v7()),
                    },
                    token,
                ))
                .await),
        ),
    ]
}

on_both_backends! {
    async fn a_stranger_is_denied_every_call_on_anothers_conversation_and_collections(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, _, conversation) = app.conversation().await;
        let message = app.send(&guest, &conversation.name, text("private")).await.expect("sent");
        let stranger = app.user();
        for (call, result) in every_call(&app, &stranger.token, &guest, &conversation.name, &message.name).await {
            let err = result.expect_err(call);
            assert_eq!(err.code(), Code::PermissionDenied, "{call}: {err:?}");
        }
        // Nothing the stranger tried changed anything.
        let messages = app.messages(&guest, &conversation.name).await;
        assert_eq!(messages[0].text, "private");
        assert_eq!(messages.len(), 2);
    }

    async fn a_conversation_that_does_not_exist_is_denied_not_revealed(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let user = app.user();
        let missing = format!("conversations/{}", uuid::Uuid::now_v7());
        let err = app
            .messaging
            .get_conversation(authorized(pb::GetConversationRequest { name: missing.clone() }, &user.token))
            .await
            .expect_err("not theirs");
        assert_eq!(err.code(), Code::PermissionDenied, "the same answer as for an existing one");
        let admin = app.user_with(&[Role::Admin]);
        let err = app
            .messaging
            .get_conversation(authorized(pb::GetConversationRequest { name: missing }, &admin.token))
            .await
            .expect_err("missing");
        assert_eq!(err.code(), Code::NotFound, "admins may learn it does not exist");
    }

    async fn admins_read_a_conversation_only_once_it_is_reported_and_never_write_in_it(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, host, conversation) = app.conversation().await;
        let rude = app.send(&host, &conversation.name, text("pay me outside the platform")).await.expect("sent");
        let admin = app.user_with(&[Role::Admin]);
        let before = app
            .messaging
            .list_messages(authorized(pb::ListMessagesRequest { parent: conversation.name.clone(), ..Default::default() }, &admin.token))
            .await
            .expect_err("not reported yet");
        assert_eq!(before.code(), Code::PermissionDenied);

        let own = app
            .messaging
            .create_report(authorized(pb::CreateReportRequest { report: Some(pb::Report { subject: conversation.name.clone() + "/messages/" + rude.name.rsplit('/').next().expect("an id"), reason: pb::report::Reason::OffPlatformPayment as i32, ..Default::default() }) }, &host.token))
            .await
            .expect_err("one's own message");
        assert_eq!(bad_fields(&own), ["report.subject"]);
        let report = app
            .messaging
            .create_report(authorized(pb::CreateReportRequest { report: Some(pb::Report { subject: rude.name.clone(), reason: pb::report::Reason::OffPlatformPayment as i32, details: "asks to pay by bank transfer".to_owned(), ..Default::default() }) }, &guest.token))
            .await
            .expect("reported")
            .into_inner()
            .report
            .expect("a report");
        assert_eq!(report.reporter, guest.name);
        assert!(app.outbox_event_types().await.contains(&"messaging.report_created".to_owned()));

        let read = app
            .messaging
            .list_messages(authorized(pb::ListMessagesRequest { parent: conversation.name.clone(), ..Default::default() }, &admin.token))
            .await
            .expect("admins read a reported conversation")
            .into_inner()
            .messages;
        assert!(read.iter().any(|m| m.name == rude.name));
        let write = app.send(&admin, &conversation.name, text("moderator here")).await.expect_err("admins do not write");
        assert_eq!(write.code(), Code::PermissionDenied);
        let list = app
            .messaging
            .list_conversations(authorized(pb::ListConversationsRequest { parent: guest.name.clone(), ..Default::default() }, &admin.token))
            .await
            .expect_err("nor list a user's conversations");
        assert_eq!(list.code(), Code::PermissionDenied);
    }

    async fn calls_without_a_token_are_unauthenticated(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (guest, _, conversation) = app.conversation().await;
        let err = app
            .messaging
            .get_conversation(pb::GetConversationRequest { name: conversation.name })
            .await
            .expect_err("anonymous");
        assert_eq!(err.code(), Code::Unauthenticated);
        let err = app
            .messaging
            .list_conversations(pb::ListConversationsRequest { parent: guest.name, ..Default::default() })
            .await
            .expect_err("anonymous");
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}
