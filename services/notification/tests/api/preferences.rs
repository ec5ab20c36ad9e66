//! Preferences: defaults, checked updates, and account messages that cannot be switched off.

use estospaces_proto::notification_v1 as pb;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::{
    authorized, bad_fields, confirm_booking, eventually, on_both_backends, spawn_app,
};

fn update(
    user: &str,
    preferences: pb::NotificationPreferences,
    paths: &[&str],
) -> pb::UpdateNotificationPreferencesRequest {
    pb::UpdateNotificationPreferencesRequest {
        preferences: Some(pb::NotificationPreferences {
            name: format!("{user}/notificationPreferences"),
            ..preferences
        }),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

fn channels(preferences: &pb::NotificationPreferences, category: pb::Category) -> Vec<i32> {
    preferences
        .categories
        .iter()
        .find(|c| c.category == category as i32)
        .map(|c| c.channels.clone())
        .unwrap_or_default()
}

on_both_backends! {
    async fn bad_preferences_are_refused_field_by_field_and_change_nothing(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let ann = app.user("ann@example.com").await;
        let bad = pb::NotificationPreferences {
            time_zone: "Mars/Olympus".to_owned(),
            phone_number: "0912".to_owned(),
            quiet_hours: Some(pb::QuietHours { start_minute: 1500, end_minute: 60 }),
            language_code: "pt_BR".to_owned(),
            ..Default::default()
        };
        let refused = app
            .notification
            .update_notification_preferences(authorized(update(&ann.name, bad, &["time_zone", "phone_number", "quiet_hours", "language_code"]), &ann.token))
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(
            bad_fields(&refused),
            ["preferences.time_zone", "preferences.phone_number", "preferences.quiet_hours", "preferences.language_code"]
        );
        let unknown = app
            .notification
            .update_notification_preferences(authorized(update(&ann.name, pb::NotificationPreferences::default(), &["email"]), &ann.token))
            .await
            .expect_err("refused");
        assert_eq!(bad_fields(&unknown), ["update_mask"]);

        let current = app
            .notification
            .get_notification_preferences(authorized(pb::GetNotificationPreferencesRequest { name: format!("{}/notificationPreferences", ann.name) }, &ann.token))
            .await
            .expect("the owner reads")
            .into_inner()
            .preferences
            .expect("preferences");
        assert_eq!(current.time_zone, "UTC");
        assert!(current.phone_number.is_empty());
        assert!(current.update_time.is_none(), "nothing was stored");
    }

    async fn switching_bookings_email_off_keeps_the_inbox_and_account_messages_stay_on(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let guest = app.user("gus@example.com").await;
        let host = app.user("hana@example.com").await;
        let off = pb::NotificationPreferences {
            categories: vec![
                pb::CategoryChannels { category: pb::Category::Bookings as i32, channels: vec![pb::Channel::InApp as i32] },
                pb::CategoryChannels { category: pb::Category::Account as i32, channels: vec![] },
            ],
            time_zone: "Europe/Lisbon".to_owned(),
            ..Default::default()
        };
        let updated = app
            .notification
            .update_notification_preferences(authorized(update(&host.name, off, &["categories", "time_zone"]), &host.token))
            .await
            .expect("the owner updates")
            .into_inner()
            .preferences
            .expect("preferences");
        assert_eq!(channels(&updated, pb::Category::Bookings), [pb::Channel::InApp as i32]);
        assert!(channels(&updated, pb::Category::Account).contains(&(pb::Channel::Email as i32)), "account email stays on");
        assert_eq!(updated.time_zone, "Europe/Lisbon");

        confirm_booking(&app, "b-1", &guest, &host).await;
        eventually("the guest's email", || {
            let mut client = app.notification.clone();
            let guest = guest.clone();
            async move {
                let deliveries = client
                    .list_deliveries(authorized(pb::ListDeliveriesRequest { parent: guest.name.clone(), ..Default::default() }, &guest.token))
                    .await
                    .ok()?
                    .into_inner()
                    .deliveries;
                deliveries.iter().any(|d| d.template == "booking_confirmed_guest").then_some(())
            }
        })
        .await;
        assert_eq!(app.inbox(&host).await.notifications.len(), 1, "the inbox still has it");
        let host_mail = app.deliveries(&host).await;
        assert!(host_mail.iter().all(|d| d.template == "email_verification"), "no booking email for the host: {host_mail:?}");
    }
}
