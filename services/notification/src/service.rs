//! `estospaces.notification.v1.NotificationService`.

use std::pin::Pin;
use std::time::{Duration, SystemTime};

use estospaces_auth::{Caller, policy};
use estospaces_host::Stopping;
use estospaces_proto::notification_v1 as pb;
use estospaces_proto::notification_v1::notification_service_server::NotificationService;
use estospaces_status::{ApiError, FieldViolation, violation};
use futures::Stream;
use prost_types::Timestamp;
use tokio::sync::{broadcast, mpsc};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::DOMAIN;
use crate::domain::{self, Category, Channel, Digest, Preferences, QuietHours, UserId};
use crate::keys::Keys;
use crate::store::{
    DeliveryFilter, DeliveryRecord, DeliveryState, NotificationRecord, NotificationStore,
    PushSubscriptionRecord,
};

/// How often a stream looks for notifications made by other replicas.
const STREAM_POLL: Duration = Duration::from_secs(1);

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct NotificationHandlers {
    store: NotificationStore,
    keys: Keys,
    inbox: broadcast::Sender<UserId>,
    draining: Stopping,
    vapid_public_key: String,
    push_services: Vec<String>,
}

impl NotificationHandlers {
    pub fn new(
        store: NotificationStore,
        keys: Keys,
        inbox: broadcast::Sender<UserId>,
        draining: Stopping,
    ) -> Self {
        Self {
            store,
            keys,
            inbox,
            draining,
            vapid_public_key: String::new(),
            push_services: Vec::new(),
        }
    }

    /// Browsers subscribe with `vapid_public_key`, to push services among `push_services`.
    pub fn with_push(mut self, vapid_public_key: String, push_services: Vec<String>) -> Self {
        self.vapid_public_key = vapid_public_key;
        self.push_services = push_services;
        self
    }
}

fn push_subscription_to_proto(record: &PushSubscriptionRecord) -> pb::PushSubscription {
    pb::PushSubscription {
        name: format!("{}/pushSubscriptions/{}", record.user.name(), record.id),
        endpoint: record.endpoint.clone(),
        p256dh_key: record.p256dh_key.clone(),
        auth_key: String::new(), // a secret shared with the browser: never returned
        create_time: timestamp(record.created_at),
    }
}

fn storage_error(err: sqlx::Error) -> ApiError {
    estospaces_storage::api_error(DOMAIN, err)
}

fn invalid(field: &str, why: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, why)])
}

fn user_from(field: &str, name: &str, suffix: &str) -> Result<UserId, ApiError> {
    UserId::from_name(name, suffix).ok_or_else(|| {
        invalid(
            field,
            format!("must be a resource name like users/{{user}}{suffix}"),
        )
    })
}

/// The owner or an admin; decided before anything is looked up.
fn owner_or_admin<T>(request: &Request<T>, owner: UserId) -> Result<&Caller, ApiError> {
    policy::owner_or_admin(request, &owner.to_string())
}

/// The page's token: the last id kept, when there were more than `limit`.
fn next_page_token<T>(records: &mut Vec<T>, limit: i64, id: impl Fn(&T) -> Uuid) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if records.len() > limit {
        records.truncate(limit);
        records
            .last()
            .map(|record| id(record).to_string())
            .unwrap_or_default()
    } else {
        String::new()
    }
}

/// `users/{user}/{collection}/{id}`, its user and id.
fn child_name(field: &str, name: &str, collection: &str) -> Result<(UserId, Uuid), ApiError> {
    let parsed = name.strip_prefix("users/").and_then(|rest| {
        let (user, rest) = rest.split_once('/')?;
        let id = rest.strip_prefix(collection)?.strip_prefix('/')?;
        Some((Uuid::parse_str(user).ok()?, Uuid::parse_str(id).ok()?))
    });
    parsed.map(|(user, id)| (UserId(user), id)).ok_or_else(|| {
        invalid(
            field,
            format!("must be a resource name like users/{{user}}/{collection}/{{id}}"),
        )
    })
}

fn page_size(requested: i32) -> Result<i64, ApiError> {
    match requested {
        0 => Ok(20),
        1..=100 => Ok(i64::from(requested)),
        101.. => Ok(100),
        _ => Err(invalid("page_size", "must not be negative")),
    }
}

fn page_token(token: &str) -> Result<Option<Uuid>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(token)
        .map(Some)
        .map_err(|_| invalid("page_token", "not a token this method returned"))
}

fn timestamp(time: SystemTime) -> Option<Timestamp> {
    Some(Timestamp::from(time))
}

fn notification_to_proto(record: &NotificationRecord) -> pb::Notification {
    pb::Notification {
        name: format!("{}/notifications/{}", record.user.name(), record.id),
        category: record.category.to_proto() as i32,
        template: record.template.clone(),
        title: record.title.clone(),
        body: record.body.clone(),
        link: record.link.clone(),
        subject: record.subject.clone(),
        read: record.read,
        create_time: timestamp(record.created_at),
    }
}

fn delivery_to_proto(record: &DeliveryRecord) -> pb::Delivery {
    let state = match record.state {
        DeliveryState::Queued => pb::delivery::State::Queued,
        DeliveryState::Sent => pb::delivery::State::Sent,
        DeliveryState::Skipped => pb::delivery::State::Skipped,
        DeliveryState::DeadLettered => pb::delivery::State::DeadLettered,
    };
    pb::Delivery {
        name: format!("{}/deliveries/{}", record.user.name(), record.id),
        channel: record.channel.to_proto() as i32,
        template: record.template.clone(),
        recipient: domain::mask(&record.address),
        state: state as i32,
        attempts: record.attempts,
        last_error: record.last_error.clone(),
        next_attempt_time: (record.state == DeliveryState::Queued)
            .then(|| Timestamp::from(record.next_attempt_at)),
        create_time: timestamp(record.created_at),
        send_time: record.sent_at.map(Timestamp::from),
        // Email bodies are not shown; texts are (what the SMS sandbox "sent").
        text: match record.channel {
            Channel::Sms | Channel::Push if !record.category.is_essential() => {
                record.text_body.clone()
            }
            _ => String::new(),
        },
    }
}

fn preferences_to_proto(
    user: UserId,
    preferences: &Preferences,
    updated_at: Option<SystemTime>,
) -> pb::NotificationPreferences {
    pb::NotificationPreferences {
        name: format!("{}/notificationPreferences", user.name()),
        categories: Category::ALL
            .into_iter()
            .map(|category| pb::CategoryChannels {
                category: category.to_proto() as i32,
                channels: preferences
                    .channels_for(category)
                    .into_iter()
                    .map(|channel| channel.to_proto() as i32)
                    .collect(),
            })
            .collect(),
        time_zone: preferences.time_zone.clone(),
        quiet_hours: preferences.quiet_hours.map(|quiet| pb::QuietHours {
            start_minute: i32::from(quiet.start_minute),
            end_minute: i32::from(quiet.end_minute),
        }),
        language_code: preferences.language.clone(),
        phone_number: preferences.phone_number.clone(),
        alert_digest: preferences.alert_digest.to_proto() as i32,
        update_time: updated_at.map(Timestamp::from),
    }
}

const PREFERENCE_PATHS: &[&str] = &[
    "categories",
    "time_zone",
    "quiet_hours",
    "language_code",
    "phone_number",
    "alert_digest",
];

/// Applies the masked fields of `update` to `preferences`; every bad field is reported.
fn apply_preferences(
    preferences: &mut Preferences,
    update: &pb::NotificationPreferences,
    paths: &[String],
) -> Result<(), ApiError> {
    let mut violations: Vec<FieldViolation> = Vec::new();
    let mut bad = |field: &str, why: String| {
        violations.push(violation(format!("preferences.{field}"), why));
    };
    for path in paths {
        match path.as_str() {
            "categories" => {
                for (i, entry) in update.categories.iter().enumerate() {
                    let Some(category) = Category::from_proto(entry.category) else {
                        bad(
                            &format!("categories[{i}].category"),
                            "must be a category".to_owned(),
                        );
                        continue;
                    };
                    let mut channels = Vec::new();
                    for (j, value) in entry.channels.iter().enumerate() {
                        match Channel::from_proto(*value) {
                            Some(channel) if !channels.contains(&channel) => channels.push(channel),
                            Some(_) => {}
                            None => bad(
                                &format!("categories[{i}].channels[{j}]"),
                                "must be a channel".to_owned(),
                            ),
                        }
                    }
                    if category.is_essential() {
                        continue; // always on; listed back unchanged
                    }
                    preferences.channels.insert(category, channels);
                }
            }
            "time_zone" => match jiff::tz::TimeZone::get(&update.time_zone) {
                Ok(_) => preferences.time_zone = update.time_zone.clone(),
                Err(_) => bad(
                    "time_zone",
                    "must be an IANA time zone such as Europe/Lisbon".to_owned(),
                ),
            },
            "quiet_hours" => match &update.quiet_hours {
                None => preferences.quiet_hours = None,
                Some(quiet) => {
                    let minute = |value: i32| u16::try_from(value).ok().filter(|m| *m < 24 * 60);
                    match (minute(quiet.start_minute), minute(quiet.end_minute)) {
                        (Some(start), Some(end)) if start != end => {
                            preferences.quiet_hours = Some(QuietHours {
                                start_minute: start,
                                end_minute: end,
                            });
                        }
                        _ => bad(
                            "quiet_hours",
                            "start_minute and end_minute must differ and lie in 0..1440".to_owned(),
                        ),
                    }
                }
            },
            "language_code" => match domain::check_language(&update.language_code) {
                Ok(()) => preferences.language = update.language_code.clone(),
                Err(why) => bad("language_code", why.to_owned()),
            },
            "phone_number" => {
                if update.phone_number.is_empty() {
                    preferences.phone_number.clear();
                } else {
                    match domain::check_phone_number(&update.phone_number) {
                        Ok(()) => preferences.phone_number = update.phone_number.clone(),
                        Err(why) => bad("phone_number", why.to_owned()),
                    }
                }
            }
            "alert_digest" => match pb::DigestFrequency::try_from(update.alert_digest) {
                Ok(value) => preferences.alert_digest = Digest::from_proto(value),
                Err(_) => bad("alert_digest", "must be a digest frequency".to_owned()),
            },
            _ => unreachable!("paths are checked against PREFERENCE_PATHS"),
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(DOMAIN, violations))
    }
}

type NotificationStream =
    Pin<Box<dyn Stream<Item = Result<pb::StreamNotificationsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl NotificationService for NotificationHandlers {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let user = user_from("parent", &request.get_ref().parent, "")?;
        owner_or_admin(&request, user)?;
        let message = request.get_ref();
        let limit = page_size(message.page_size)?;
        let before = page_token(&message.page_token)?;
        let mut records = self
            .store
            .notifications(user, before, message.unread_only, limit + 1)
            .await
            .map_err(storage_error)?;
        let next_page_token = next_page_token(&mut records, limit, |record| record.id);
        let unread_count = self.store.unread_count(user).await.map_err(storage_error)?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: records.iter().map(notification_to_proto).collect(),
            next_page_token,
            unread_count,
        }))
    }

    type StreamNotificationsStream = NotificationStream;

    async fn stream_notifications(
        &self,
        request: Request<pb::StreamNotificationsRequest>,
    ) -> Result<Response<Self::StreamNotificationsStream>, Status> {
        let user = user_from("parent", &request.get_ref().parent, "")?;
        owner_or_admin(&request, user)?;
        let after = &request.get_ref().after_notification;
        let cursor = if after.is_empty() {
            self.store
                .newest_notification(user)
                .await
                .map_err(storage_error)?
                .unwrap_or(Uuid::nil())
        } else {
            let (owner, id) = child_name("after_notification", after, "notifications")?;
            if owner != user {
                return Err(invalid(
                    "after_notification",
                    "must be one of the parent's notifications",
                )
                .into());
            }
            id
        };
        // Subscribed before the first read, so nothing made in between is missed.
        let signals = self.inbox.subscribe();
        let (sender, receiver) = mpsc::channel(16);
        tokio::spawn(stream_inbox(
            self.store.clone(),
            user,
            cursor,
            signals,
            sender,
            self.draining.clone(),
        ));
        let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn mark_notification_read(
        &self,
        request: Request<pb::MarkNotificationReadRequest>,
    ) -> Result<Response<pb::MarkNotificationReadResponse>, Status> {
        let (user, id) = child_name("name", &request.get_ref().name, "notifications")?;
        owner_or_admin(&request, user)?;
        let record = self
            .store
            .mark_read(user, id, SystemTime::now())
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &request.get_ref().name))?;
        let unread_count = self.store.unread_count(user).await.map_err(storage_error)?;
        Ok(Response::new(pb::MarkNotificationReadResponse {
            notification: Some(notification_to_proto(&record)),
            unread_count,
        }))
    }

    async fn mark_all_notifications_read(
        &self,
        request: Request<pb::MarkAllNotificationsReadRequest>,
    ) -> Result<Response<pb::MarkAllNotificationsReadResponse>, Status> {
        let user = user_from("parent", &request.get_ref().parent, "")?;
        owner_or_admin(&request, user)?;
        let marked = self
            .store
            .mark_all_read(user, SystemTime::now())
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::MarkAllNotificationsReadResponse {
            marked_count: i32::try_from(marked).unwrap_or(i32::MAX),
        }))
    }

    async fn get_notification_preferences(
        &self,
        request: Request<pb::GetNotificationPreferencesRequest>,
    ) -> Result<Response<pb::GetNotificationPreferencesResponse>, Status> {
        let user = user_from("name", &request.get_ref().name, "/notificationPreferences")?;
        owner_or_admin(&request, user)?;
        let (preferences, updated_at) =
            self.store.preferences(user).await.map_err(storage_error)?;
        Ok(Response::new(pb::GetNotificationPreferencesResponse {
            preferences: Some(preferences_to_proto(user, &preferences, updated_at)),
        }))
    }

    async fn update_notification_preferences(
        &self,
        request: Request<pb::UpdateNotificationPreferencesRequest>,
    ) -> Result<Response<pb::UpdateNotificationPreferencesResponse>, Status> {
        let update = request
            .get_ref()
            .preferences
            .clone()
            .ok_or_else(|| invalid("preferences", "is required"))?;
        let user = user_from("preferences.name", &update.name, "/notificationPreferences")?;
        owner_or_admin(&request, user)?;
        let paths = request
            .get_ref()
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.clone())
            .unwrap_or_default();
        if paths.is_empty() {
            return Err(invalid("update_mask", "must name at least one field").into());
        }
        if let Some(unknown) = paths
            .iter()
            .find(|p| !PREFERENCE_PATHS.contains(&p.as_str()))
        {
            return Err(invalid(
                "update_mask",
                format!("`{unknown}` is not one of: {}", PREFERENCE_PATHS.join(", ")),
            )
            .into());
        }
        let (mut preferences, _) = self.store.preferences(user).await.map_err(storage_error)?;
        apply_preferences(&mut preferences, &update, &paths)?;
        let now = SystemTime::now();
        self.store
            .put_preferences(user, &preferences, now)
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::UpdateNotificationPreferencesResponse {
            preferences: Some(preferences_to_proto(user, &preferences, Some(now))),
        }))
    }

    async fn unsubscribe(
        &self,
        request: Request<pb::UnsubscribeRequest>,
    ) -> Result<Response<pb::UnsubscribeResponse>, Status> {
        let token = &request.get_ref().token;
        if token.is_empty() {
            return Err(invalid("token", "is required").into());
        }
        let Some((user, category)) = self.keys.verify_unsubscribe(token).await else {
            return Err(invalid("token", "is not an unsubscribe token from our email").into());
        };
        let (mut preferences, _) = self.store.preferences(user).await.map_err(storage_error)?;
        let mut channels = preferences.channels_for(category);
        channels.retain(|channel| *channel != Channel::Email);
        preferences.channels.insert(category, channels);
        self.store
            .put_preferences(user, &preferences, SystemTime::now())
            .await
            .map_err(storage_error)?;
        tracing::info!(%user, category = category.as_str(), "unsubscribed from email");
        Ok(Response::new(pb::UnsubscribeResponse {
            category: category.to_proto() as i32,
        }))
    }

    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        let message = request.get_ref();
        let user = if message.parent == "users/-" {
            policy::role(&request, estospaces_auth::Role::Admin)?;
            None
        } else {
            let user = user_from("parent", &message.parent, "")?;
            owner_or_admin(&request, user)?;
            Some(user)
        };
        let state = match pb::delivery::State::try_from(message.state) {
            Ok(pb::delivery::State::Unspecified) => None,
            Ok(pb::delivery::State::Queued) => Some(DeliveryState::Queued),
            Ok(pb::delivery::State::Sent) => Some(DeliveryState::Sent),
            Ok(pb::delivery::State::Skipped) => Some(DeliveryState::Skipped),
            Ok(pb::delivery::State::DeadLettered) => Some(DeliveryState::DeadLettered),
            Err(_) => return Err(invalid("state", "must be a delivery state").into()),
        };
        let channel = match message.channel {
            0 => None,
            value => Some(
                Channel::from_proto(value)
                    .ok_or_else(|| invalid("channel", "must be a channel"))?,
            ),
        };
        let limit = page_size(message.page_size)?;
        let filter = DeliveryFilter {
            user,
            state,
            channel,
            before: page_token(&message.page_token)?,
            limit: limit + 1,
        };
        let mut records = self
            .store
            .deliveries(&filter)
            .await
            .map_err(storage_error)?;
        let next_page_token = next_page_token(&mut records, limit, |record| record.id);
        Ok(Response::new(pb::ListDeliveriesResponse {
            deliveries: records.iter().map(delivery_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn get_push_config(
        &self,
        _request: Request<pb::GetPushConfigRequest>,
    ) -> Result<Response<pb::GetPushConfigResponse>, Status> {
        Ok(Response::new(pb::GetPushConfigResponse {
            vapid_public_key: self.vapid_public_key.clone(),
        }))
    }

    async fn create_push_subscription(
        &self,
        request: Request<pb::CreatePushSubscriptionRequest>,
    ) -> Result<Response<pb::CreatePushSubscriptionResponse>, Status> {
        let user = user_from("parent", &request.get_ref().parent, "")?;
        owner_or_admin(&request, user)?;
        let subscription = request
            .get_ref()
            .push_subscription
            .clone()
            .ok_or_else(|| invalid("push_subscription", "is required"))?;
        let mut violations = Vec::new();
        if !crate::push::is_allowed_endpoint(&subscription.endpoint, &self.push_services) {
            violations.push(violation(
                "push_subscription.endpoint",
                "must be the URL of a push service the platform allows",
            ));
        }
        if let Err(why) = crate::push::parse_p256dh(&subscription.p256dh_key) {
            violations.push(violation("push_subscription.p256dh_key", why));
        }
        if let Err(why) = crate::push::parse_auth(&subscription.auth_key) {
            violations.push(violation("push_subscription.auth_key", why));
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        }
        let record = PushSubscriptionRecord {
            id: Uuid::now_v7(),
            user,
            endpoint: subscription.endpoint,
            p256dh_key: subscription.p256dh_key,
            auth_key: subscription.auth_key,
            created_at: SystemTime::now(),
        };
        let stored = self
            .store
            .put_push_subscription(&record)
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::CreatePushSubscriptionResponse {
            push_subscription: Some(push_subscription_to_proto(&stored)),
        }))
    }

    async fn list_push_subscriptions(
        &self,
        request: Request<pb::ListPushSubscriptionsRequest>,
    ) -> Result<Response<pb::ListPushSubscriptionsResponse>, Status> {
        let user = user_from("parent", &request.get_ref().parent, "")?;
        owner_or_admin(&request, user)?;
        let records = self
            .store
            .push_subscriptions(user)
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::ListPushSubscriptionsResponse {
            push_subscriptions: records.iter().map(push_subscription_to_proto).collect(),
        }))
    }

    async fn delete_push_subscription(
        &self,
        request: Request<pb::DeletePushSubscriptionRequest>,
    ) -> Result<Response<pb::DeletePushSubscriptionResponse>, Status> {
        let name = &request.get_ref().name;
        let (user, id) = child_name("name", name, "pushSubscriptions")?;
        owner_or_admin(&request, user)?;
        if !self
            .store
            .delete_push_subscription(user, id)
            .await
            .map_err(storage_error)?
        {
            return Err(ApiError::not_found(DOMAIN, name).into());
        }
        Ok(Response::new(pb::DeletePushSubscriptionResponse {}))
    }

    async fn retry_delivery(
        &self,
        request: Request<pb::RetryDeliveryRequest>,
    ) -> Result<Response<pb::RetryDeliveryResponse>, Status> {
        policy::role(&request, estospaces_auth::Role::Admin)?;
        let name = &request.get_ref().name;
        let (user, id) = child_name("name", name, "deliveries")?;
        let (retried, delivery) = self
            .store
            .retry(user, id, SystemTime::now())
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, name))?;
        if !retried {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "NOT_DEAD_LETTERED",
                "only a dead-lettered delivery can be retried",
            )
            .into());
        }
        Ok(Response::new(pb::RetryDeliveryResponse {
            delivery: Some(delivery_to_proto(&delivery)),
        }))
    }
}

/// Feeds one stream: what was made after `cursor`, then each new notification as it is made,
/// until the client goes away or the service starts draining.
async fn stream_inbox(
    store: NotificationStore,
    user: UserId,
    mut cursor: Uuid,
    mut signals: broadcast::Receiver<UserId>,
    sender: mpsc::Sender<Result<pb::StreamNotificationsResponse, Status>>,
    draining: Stopping,
) {
    let mut draining = draining.into_receiver();
    // Looks again a few times after a signal: the notice's transaction may not have committed.
    let mut lookups_left = 0u32;
    loop {
        match store.notifications_after(user, cursor, 100).await {
            Ok(records) if !records.is_empty() => {
                lookups_left = 0;
                let unread_count = store.unread_count(user).await.unwrap_or_default();
                for record in &records {
                    cursor = record.id;
                    let message = pb::StreamNotificationsResponse {
                        notification: Some(notification_to_proto(record)),
                        unread_count,
                    };
                    if sender.send(Ok(message)).await.is_err() {
                        return; // the client went away
                    }
                }
                continue;
            }
            Ok(_) => {}
            Err(err) => {
                let _ = sender.send(Err(storage_error(err).into())).await;
                return;
            }
        }
        let wait = if lookups_left > 0 {
            lookups_left -= 1;
            Duration::from_millis(25 << (4 - lookups_left.min(4)))
        } else {
            STREAM_POLL
        };
        let timeout = tokio::time::sleep(wait);
        tokio::pin!(timeout);
        loop {
            tokio::select! {
                _ = draining.wait_for(|draining| *draining) => return,
                () = sender.closed() => return,
                () = &mut timeout => break,
                signal = signals.recv() => match signal {
                    Ok(signalled) if signalled != user => continue, // someone else's
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        lookups_left = 4;
                        break;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }
}
