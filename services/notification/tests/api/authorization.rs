//! Every RPC decides who may call it, before it looks anything up.

use estospaces_proto::notification_v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{authorized, bad_fields, on_both_backends, spawn_app};

on_both_backends! {
    async fn a_stranger_is_refused_every_rpc_on_someone_elses_inbox_preferences_and_deliveries(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;
        let bob = app.user("bob@example.com").await;
        let n = &mut app.notification;
        let t = &bob.token;
        let someone = format!("{}/notifications/0190b6a0-0000-7000-8000-000000000000", ann.name);
        let delivery = format!("{}/deliveries/0190b6a0-0000-7000-8000-000000000000", ann.name);

        let mut codes = vec![
            n.list_notifications(authorized(pb::ListNotificationsRequest { parent: ann.name.clone(), ..Default::default() }, t)).await.map(drop),
            n.stream_notifications(authorized(pb::StreamNotificationsRequest { parent: ann.name.clone(), ..Default::default() }, t)).await.map(drop),
            n.mark_notification_read(authorized(pb::MarkNotificationReadRequest { name: someone.clone() }, t)).await.map(drop),
            n.mark_all_notifications_read(authorized(pb::MarkAllNotificationsReadRequest { parent: ann.name.clone() }, t)).await.map(drop),
            n.get_notification_preferences(authorized(pb::GetNotificationPreferencesRequest { name: format!("{}/notificationPreferences", ann.name) }, t)).await.map(drop),
            n.update_notification_preferences(authorized(pb::UpdateNotificationPreferencesRequest {
                preferences: Some(pb::NotificationPreferences { name: format!("{}/notificationPreferences", ann.name), time_zone: "UTC".to_owned(), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["time_zone".to_owned()] }),
            }, t)).await.map(drop),
            n.list_deliveries(authorized(pb::ListDeliveriesRequest { parent: ann.name.clone(), ..Default::default() }, t)).await.map(drop),
            n.list_push_subscriptions(authorized(pb::ListPushSubscriptionsRequest { parent: ann.name.clone() }, t)).await.map(drop),
            n.create_push_subscription(authorized(pb::CreatePushSubscriptionRequest { parent: ann.name.clone(), push_subscription: Some(pb::PushSubscription::default()) }, t)).await.map(drop),
            n.delete_push_subscription(authorized(pb::DeletePushSubscriptionRequest { name: format!("{}/pushSubscriptions/0190b6a0-0000-7000-8000-000000000000", ann.name) }, t)).await.map(drop),
            // Everyone's deliveries and replays are for admins only.
            n.list_deliveries(authorized(pb::ListDeliveriesRequest { parent: "users/-".to_owned(), ..Default::default() }, t)).await.map(drop),
            n.retry_delivery(authorized(pb::RetryDeliveryRequest { name: delivery.clone() }, &ann.token)).await.map(drop),
        ]
        .into_iter()
        .map(|result| result.expect_err("refused").code())
        .collect::<Vec<_>>();
        codes.dedup();
        assert_eq!(codes, [Code::PermissionDenied]);

        // Without a token: UNAUTHENTICATED, whatever the resource.
        let anonymous = n
            .list_notifications(pb::ListNotificationsRequest { parent: ann.name.clone(), ..Default::default() })
            .await
            .expect_err("refused");
        assert_eq!(anonymous.code(), Code::Unauthenticated);

        // The owner reaches the same resources; a missing one is NOT_FOUND only for them.
        let missing = n
            .mark_notification_read(authorized(pb::MarkNotificationReadRequest { name: someone }, &ann.token))
            .await
            .expect_err("no such notification");
        assert_eq!(missing.code(), Code::NotFound);

        // A forged unsubscribe token is refused, not a silent success.
        let forged = n
            .unsubscribe(pb::UnsubscribeRequest { token: format!("k.{}.bookings.AAAA", ann.name.trim_start_matches("users/")) })
            .await
            .expect_err("forged");
        assert_eq!(forged.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&forged), ["token"]);
    }

    async fn an_admin_reads_everyones_deliveries(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let admin = app.admin().await;
        let listed = app
            .notification
            .list_deliveries(authorized(pb::ListDeliveriesRequest { parent: "users/-".to_owned(), ..Default::default() }, &admin.token))
            .await
            .expect("admins list everyone's deliveries")
            .into_inner();
        assert!(listed.next_page_token.is_empty());
    }
}
