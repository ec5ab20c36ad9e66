//! The `estospaces.messaging.v1.MessagingService` gRPC handlers.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use estospaces_auth::{Caller, policy};
use estospaces_events::NewEvent;
use estospaces_host::Stopping;
use estospaces_media_check::OwnMedia;
use estospaces_proto::messaging_v1 as pb;
use estospaces_proto::messaging_v1::messaging_service_server::MessagingService;
use estospaces_status::{ApiError, violation};
use futures::Stream;
use prost_types::Timestamp;
use tokio::sync::{broadcast, mpsc};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::DOMAIN;
use crate::config::MessagingSettings;
use crate::domain::{self, Draft, Kind};
use crate::hub::{Hub, Signal};
use crate::listings::Listings;
use crate::store::{
    ConversationRecord, FeedEvent, FeedKind, MINUTE, MessageRecord, MessagingStore, NewMessage,
    ParticipantRecord, Sent, StartEvents,
};

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct MessagingHandlers {
    store: MessagingStore,
    hub: Hub,
    listings: Listings,
    attachments: OwnMedia,
    settings: Arc<MessagingSettings>,
    draining: Stopping,
}

impl MessagingHandlers {
    pub fn new(
        store: MessagingStore,
        hub: Hub,
        listings: Listings,
        attachments: OwnMedia,
        settings: MessagingSettings,
        draining: Stopping,
    ) -> Self {
        Self {
            store,
            hub,
            listings,
            attachments,
            settings: Arc::new(settings),
            draining,
        }
    }
}

fn storage_error(err: sqlx::Error) -> ApiError {
    estospaces_storage::api_error(DOMAIN, err)
}

fn invalid(field: &str, why: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, why)])
}

fn blocked() -> ApiError {
    ApiError::failed_precondition(
        DOMAIN,
        "BLOCKED",
        "one of you has blocked the other: no new messages either way",
    )
}

/// The id in `{prefix}/{uuid}`.
fn id_in(field: &str, name: &str, prefix: &str, example: &str) -> Result<Uuid, ApiError> {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(domain::canonical_uuid)
        .and_then(|id| Uuid::parse_str(&id).ok())
        .ok_or_else(|| invalid(field, format!("must be a resource name like {example}")))
}

fn user_name(field: &str, name: &str) -> Result<Uuid, ApiError> {
    id_in(field, name, "users", "users/{user}")
}

fn conversation_name(field: &str, name: &str) -> Result<Uuid, ApiError> {
    id_in(field, name, "conversations", "conversations/{conversation}")
}

/// `conversations/{conversation}/messages/{message}`: both ids.
fn message_name(field: &str, name: &str) -> Result<(Uuid, Uuid), ApiError> {
    let parsed = name.strip_prefix("conversations/").and_then(|rest| {
        let (conversation, message) = rest.split_once("/messages/")?;
        let conversation = Uuid::parse_str(&domain::canonical_uuid(conversation)?).ok()?;
        let message = Uuid::parse_str(&domain::canonical_uuid(message)?).ok()?;
        Some((conversation, message))
    });
    parsed.ok_or_else(|| {
        invalid(
            field,
            "must be a resource name like conversations/{conversation}/messages/{message}",
        )
    })
}

fn caller_id(caller: &Caller) -> Result<Uuid, ApiError> {
    Uuid::parse_str(&caller.user_id).map_err(|_| ApiError::permission_denied(DOMAIN, "user"))
}

/// The signed-in user named by `parent` (`users/{user}`), and only them: conversations are
/// private even from admins, who read a reported conversation by its name.
fn the_user<T>(request: &Request<T>, field: &str, parent: &str) -> Result<Uuid, ApiError> {
    let caller = policy::authenticated(request)?;
    let user = user_name(field, parent)?;
    if caller_id(caller)? != user {
        return Err(ApiError::permission_denied(DOMAIN, "owner"));
    }
    Ok(user)
}

fn page_size(requested: i32, default: i64, max: i64) -> Result<i64, ApiError> {
    match i64::from(requested) {
        0 => Ok(default),
        n if n < 0 => Err(invalid("page_size", "must not be negative")),
        n => Ok(n.min(max)),
    }
}

/// The page's token: made from the last record kept, when there were more than `limit`.
fn next_page_token<T>(records: &mut Vec<T>, limit: i64, token: impl Fn(&T) -> String) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if records.len() > limit {
        records.truncate(limit);
        records.last().map(token).unwrap_or_default()
    } else {
        String::new()
    }
}

/// A `{micros}_{uuid}` page token.
fn time_token(token: &str) -> Result<Option<(SystemTime, Uuid)>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    token
        .split_once('_')
        .and_then(|(micros, id)| {
            Some((
                estospaces_storage::from_unix_micros(micros.parse().ok()?),
                Uuid::parse_str(id).ok()?,
            ))
        })
        .map(Some)
        .ok_or_else(|| invalid("page_token", "not a token this method returned"))
}

fn make_time_token(time: SystemTime, id: Uuid) -> String {
    format!("{}_{id}", estospaces_storage::unix_micros(time))
}

fn timestamp(time: SystemTime) -> Option<Timestamp> {
    Some(Timestamp::from(time))
}

fn conversation_resource(id: Uuid) -> String {
    format!("conversations/{id}")
}

fn message_resource(record: &MessageRecord) -> String {
    format!(
        "conversations/{}/messages/{}",
        record.conversation, record.id
    )
}

fn to_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A message as its participants see it.
pub fn message_to_proto(record: &MessageRecord) -> pb::Message {
    pb::Message {
        name: message_resource(record),
        sender: record
            .sender
            .map(|id| format!("users/{id}"))
            .unwrap_or_default(),
        kind: match record.kind {
            Kind::Text => pb::message::Kind::Text,
            Kind::System => pb::message::Kind::System,
        } as i32,
        text: record.body.clone(),
        attachments: record
            .attachments
            .iter()
            .map(|id| format!("media/{id}"))
            .collect(),
        system_event: record.system_event.clone(),
        booking: record.booking.clone(),
        contact_details_masked: record.masked,
        request_id: record.request_id.clone(),
        create_time: timestamp(record.created_at),
        edit_time: record.edited_at.and_then(timestamp),
        delete_time: record.deleted_at.and_then(timestamp),
    }
}

fn conversation_to_proto(
    record: &ConversationRecord,
    participants: &[ParticipantRecord],
    last_message: Option<&MessageRecord>,
    unread_count: i64,
) -> pb::Conversation {
    let topic = match record.topic {
        domain::Topic::Stay => pb::conversation::Topic::Stay,
        domain::Topic::Rental => pb::conversation::Topic::Rental,
        domain::Topic::Sale => pb::conversation::Topic::Sale,
    };
    let name = conversation_resource(record.id);
    pb::Conversation {
        name: name.clone(),
        listing: record.listing.clone(),
        listing_title: record.listing_title.clone(),
        topic: topic as i32,
        inquirer: format!("users/{}", record.inquirer),
        owner: format!("users/{}", record.owner),
        booking: record.booking.clone(),
        contact_details_allowed: record.contact_allowed,
        participants: participants
            .iter()
            .map(|participant| pb::Participant {
                user: format!("users/{}", participant.user),
                last_read_message: participant
                    .last_read_message
                    .map(|id| format!("{name}/messages/{id}"))
                    .unwrap_or_default(),
                read_time: participant.read_at.and_then(timestamp),
            })
            .collect(),
        last_message: last_message.map(message_to_proto),
        unread_count: to_i32(unread_count),
        create_time: timestamp(record.created_at),
        update_time: timestamp(record.updated_at),
    }
}

type EventStream =
    Pin<Box<dyn Stream<Item = Result<pb::StreamConversationEventsResponse, Status>> + Send>>;

impl MessagingHandlers {
    /// The conversation, for a participant; admins too once it was reported. Anyone else,
    /// whether or not it exists, is PERMISSION_DENIED.
    async fn readable<T>(
        &self,
        request: &Request<T>,
        id: Uuid,
    ) -> Result<(Uuid, ConversationRecord), ApiError> {
        let caller = policy::authenticated(request)?;
        let user = caller_id(caller)?;
        let found = self.store.conversation(id).await.map_err(storage_error)?;
        match found {
            Some(conversation) if conversation.is_participant(user) => Ok((user, conversation)),
            Some(conversation) if conversation.reported && caller.is_admin() => {
                Ok((user, conversation))
            }
            None if caller.is_admin() => {
                Err(ApiError::not_found(DOMAIN, &conversation_resource(id)))
            }
            _ => Err(ApiError::permission_denied(DOMAIN, "participant")),
        }
    }

    /// The conversation, for its participants only.
    async fn participating<T>(
        &self,
        request: &Request<T>,
        id: Uuid,
    ) -> Result<(Uuid, ConversationRecord), ApiError> {
        let caller = policy::authenticated(request)?;
        let user = caller_id(caller)?;
        match self.store.conversation(id).await.map_err(storage_error)? {
            Some(conversation) if conversation.is_participant(user) => Ok((user, conversation)),
            _ => Err(ApiError::permission_denied(DOMAIN, "participant")),
        }
    }

    /// A participant's own message in the conversation named, for its sender only.
    async fn own_message<T>(
        &self,
        request: &Request<T>,
        name: &str,
    ) -> Result<(Uuid, ConversationRecord, MessageRecord), ApiError> {
        let (conversation_id, message_id) = message_name("name", name)?;
        let (user, conversation) = self.participating(request, conversation_id).await?;
        let message = self
            .store
            .message(message_id)
            .await
            .map_err(storage_error)?
            .filter(|message| message.conversation == conversation.id)
            .ok_or_else(|| ApiError::not_found(DOMAIN, name))?;
        if message.sender != Some(user) {
            return Err(ApiError::permission_denied(DOMAIN, "sender"));
        }
        Ok((user, conversation, message))
    }

    async fn to_proto(
        &self,
        conversation: &ConversationRecord,
        user: Uuid,
    ) -> Result<pb::Conversation, ApiError> {
        let participants = self
            .store
            .participants(conversation.id)
            .await
            .map_err(storage_error)?;
        let last = self
            .store
            .last_message(conversation)
            .await
            .map_err(storage_error)?;
        let unread = participants
            .iter()
            .find(|participant| participant.user == user)
            .map_or(0, |participant| participant.unread_count);
        Ok(conversation_to_proto(
            conversation,
            &participants,
            last.as_ref(),
            unread,
        ))
    }

    /// Checks a participant's draft: blocks, the rate, attachments; masks what the
    /// conversation does not allow yet; sends it.
    /// With `start`, `conversation` is one to find or start, in the same transaction as the
    /// message.
    async fn deliver(
        &self,
        sender: Uuid,
        conversation: &ConversationRecord,
        start: Option<&StartEvents>,
        draft: Draft,
        field: &str,
    ) -> Result<Sent, ApiError> {
        let other = conversation.other(sender);
        if self
            .store
            .blocked_either_way(sender, other)
            .await
            .map_err(storage_error)?
        {
            return Err(blocked());
        }
        let sent_lately = self
            .store
            .sent_since(sender, SystemTime::now() - MINUTE)
            .await
            .map_err(storage_error)?;
        if sent_lately >= i64::from(self.settings.messages_per_minute) {
            metrics::counter!("estospaces_messaging_rate_limited_total").increment(1);
            return Err(ApiError::resource_exhausted(
                DOMAIN,
                "TOO_MANY_MESSAGES",
                Duration::from_secs(20),
            ));
        }
        let files: Vec<(String, &str)> = draft
            .attachments
            .iter()
            .enumerate()
            .map(|(index, id)| (format!("{field}.attachments[{index}]"), id.as_str()))
            .collect();
        self.attachments
            .check_files(&sender.to_string(), &files)
            .await?;
        let (body, masked) = if conversation.contact_allowed {
            (draft.text, false)
        } else {
            domain::mask_contact_details(&draft.text)
        };
        let new = NewMessage {
            sender: Some(sender),
            kind: Kind::Text,
            body,
            attachments: draft.attachments,
            system_event: String::new(),
            booking: String::new(),
            masked,
            request_id: draft.request_id,
        };
        let sent = self
            .store
            .send(conversation, start, &new, |message, conversation| {
                let event = pb::MessageSent {
                    conversation: conversation_resource(conversation.id),
                    message: message_resource(message),
                    sender: format!("users/{sender}"),
                    recipient: format!("users/{}", conversation.other(sender)),
                    kind: pb::message::Kind::Text as i32,
                };
                vec![NewEvent::new(
                    "messaging.message_sent",
                    "conversation",
                    conversation.id.to_string(),
                    &event,
                )]
            })
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &conversation_resource(conversation.id)))?;
        if !sent.duplicate {
            self.hub.wake(&sent.wakeups);
            metrics::counter!("estospaces_messaging_messages_sent_total").increment(1);
        }
        Ok(sent)
    }

    /// The spam checks of a first message: how many conversations the sender started lately,
    /// and whether the same words went to many.
    async fn check_first_message(&self, sender: Uuid, text: &str) -> Result<(), ApiError> {
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        let started = self
            .store
            .started_since(sender, hour_ago)
            .await
            .map_err(storage_error)?;
        if started >= i64::from(self.settings.inquiries_per_hour) {
            return Err(ApiError::resource_exhausted(
                DOMAIN,
                "TOO_MANY_INQUIRIES",
                Duration::from_secs(600),
            ));
        }
        if !domain::search_text(text).is_empty() {
            let day_ago = SystemTime::now() - Duration::from_secs(24 * 3600);
            let same = self
                .store
                .same_first_messages(sender, text, day_ago)
                .await
                .map_err(storage_error)?;
            if same >= i64::from(self.settings.duplicate_first_messages) {
                metrics::counter!("estospaces_messaging_spam_refused_total").increment(1);
                return Err(ApiError::failed_precondition(
                    DOMAIN,
                    "SPAM_SUSPECTED",
                    "the same first message went to many listings; write to each owner in your own words",
                ));
            }
        }
        Ok(())
    }
}

fn draft_of(field: &str, message: Option<&pb::Message>) -> Result<Draft, ApiError> {
    let Some(message) = message else {
        return Err(invalid(field, "required"));
    };
    domain::check_draft(
        field,
        &message.text,
        &message.attachments,
        &message.request_id,
    )
    .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))
}

#[tonic::async_trait]
impl MessagingService for MessagingHandlers {
    async fn create_inquiry(
        &self,
        request: Request<pb::CreateInquiryRequest>,
    ) -> Result<Response<pb::CreateInquiryResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let user = caller_id(caller)?;
        let message = request.get_ref();
        let mut violations = Vec::new();
        let listing_ok = message
            .listing
            .strip_prefix("properties/")
            .is_some_and(|id| !id.is_empty() && !id.contains('/'));
        if !listing_ok {
            violations.push(violation(
                "listing",
                "must be a resource name like properties/{property}",
            ));
        }
        let draft = match message.message.as_ref() {
            None => {
                violations.push(violation("message", "required"));
                None
            }
            Some(first) => domain::check_draft(
                "message",
                &first.text,
                &first.attachments,
                &first.request_id,
            )
            .map_err(|problems| violations.extend(problems))
            .ok(),
        };
        let Some(draft) = draft.filter(|_| violations.is_empty()) else {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        };
        let listing = self.listings.published(&message.listing).await?;
        let owner = Uuid::parse_str(&listing.owner).map_err(|_| {
            ApiError::internal(DOMAIN, anyhow::anyhow!("a listing without an owner"))
        })?;
        if owner == user {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "OWN_LISTING",
                "this is your own listing",
            )
            .into());
        }
        if self
            .store
            .blocked_either_way(user, owner)
            .await
            .map_err(storage_error)?
        {
            return Err(blocked().into());
        }
        let new =
            ConversationRecord::new(&listing.name, &listing.title, listing.topic, owner, user);
        let mut db = self
            .store
            .database()
            .pool()
            .acquire()
            .await
            .map_err(storage_error)?;
        let existing = MessagingStore::conversation_about_in(&mut db, &listing.name, owner, user)
            .await
            .map_err(storage_error)?;
        drop(db);
        let inquiry_events = |conversation: &ConversationRecord| {
            let inquiry = pb::InquiryCreated {
                conversation: Some(conversation_to_proto(conversation, &[], None, 0)),
            };
            vec![NewEvent::new(
                "messaging.inquiry_created",
                "conversation",
                conversation.id.to_string(),
                &inquiry,
            )]
        };
        let sent = match &existing {
            Some(conversation) => {
                self.deliver(user, conversation, None, draft, "message")
                    .await?
            }
            None => {
                self.check_first_message(user, &draft.text).await?;
                self.deliver(user, &new, Some(&inquiry_events), draft, "message")
                    .await?
            }
        };
        let created = existing.is_none() && sent.message.seq == 1;
        let conversation = self.to_proto(&sent.conversation, user).await?;
        Ok(Response::new(pb::CreateInquiryResponse {
            conversation: Some(conversation),
            message: Some(message_to_proto(&sent.message)),
            created,
        }))
    }

    async fn get_conversation(
        &self,
        request: Request<pb::GetConversationRequest>,
    ) -> Result<Response<pb::GetConversationResponse>, Status> {
        let id = conversation_name("name", &request.get_ref().name)?;
        let (user, conversation) = self.readable(&request, id).await?;
        let conversation = self.to_proto(&conversation, user).await?;
        Ok(Response::new(pb::GetConversationResponse {
            conversation: Some(conversation),
        }))
    }

    async fn list_conversations(
        &self,
        request: Request<pb::ListConversationsRequest>,
    ) -> Result<Response<pb::ListConversationsResponse>, Status> {
        let user = the_user(&request, "parent", &request.get_ref().parent)?;
        let message = request.get_ref();
        let limit = page_size(message.page_size, 20, 100)?;
        let after = time_token(&message.page_token)?;
        let mut records = self
            .store
            .conversations_of(user, after, message.unread_only, limit + 1)
            .await
            .map_err(storage_error)?;
        let next_page_token = next_page_token(&mut records, limit, |last| {
            make_time_token(last.updated_at, last.id)
        });
        let mut conversations = Vec::with_capacity(records.len());
        for record in &records {
            conversations.push(self.to_proto(record, user).await?);
        }
        let (_, total) = self
            .store
            .unread_counts(user, None)
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::ListConversationsResponse {
            conversations,
            next_page_token,
            total_unread_count: to_i32(total),
        }))
    }

    async fn send_message(
        &self,
        request: Request<pb::SendMessageRequest>,
    ) -> Result<Response<pb::SendMessageResponse>, Status> {
        let id = conversation_name("parent", &request.get_ref().parent)?;
        let draft = draft_of("message", request.get_ref().message.as_ref())?;
        let (user, conversation) = self.participating(&request, id).await?;
        let sent = self
            .deliver(user, &conversation, None, draft, "message")
            .await?;
        Ok(Response::new(pb::SendMessageResponse {
            message: Some(message_to_proto(&sent.message)),
        }))
    }

    async fn list_messages(
        &self,
        request: Request<pb::ListMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        let id = conversation_name("parent", &request.get_ref().parent)?;
        let limit = page_size(request.get_ref().page_size, 50, 200)?;
        let token = &request.get_ref().page_token;
        let before = if token.is_empty() {
            i64::MAX
        } else {
            token
                .parse::<i64>()
                .ok()
                .filter(|seq| *seq > 0)
                .ok_or_else(|| invalid("page_token", "not a token this method returned"))?
        };
        let (_, conversation) = self.readable(&request, id).await?;
        let mut records = self
            .store
            .messages(conversation.id, before, limit + 1)
            .await
            .map_err(storage_error)?;
        let next_page_token = next_page_token(&mut records, limit, |last| last.seq.to_string());
        Ok(Response::new(pb::ListMessagesResponse {
            messages: records.iter().map(message_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn update_message(
        &self,
        request: Request<pb::UpdateMessageRequest>,
    ) -> Result<Response<pb::UpdateMessageResponse>, Status> {
        let Some(message) = request.get_ref().message.as_ref() else {
            return Err(invalid("message", "required").into());
        };
        if let Some(mask) = &request.get_ref().update_mask
            && mask.paths.iter().any(|path| path != "text")
        {
            return Err(invalid("update_mask", "only `text` can be changed").into());
        }
        let text = message.text.trim().to_owned();
        if let Some(why) = domain::text_problem(&text) {
            return Err(invalid("message.text", why).into());
        }
        let name = message.name.clone();
        let (conversation_id, _) = message_name("message.name", &name)?;
        let (user, conversation) = self.participating(&request, conversation_id).await?;
        let (_, _, stored) = self.own_message(&request, &name).await.map_err(|err| {
            // `own_message` names the field `name`; here it is `message.name`.
            if err.code() == tonic::Code::InvalidArgument {
                invalid(
                    "message.name",
                    "must be a resource name like conversations/{conversation}/messages/{message}",
                )
            } else {
                err
            }
        })?;
        if stored.deleted_at.is_some() {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "MESSAGE_DELETED",
                "the message was deleted",
            )
            .into());
        }
        let age = SystemTime::now()
            .duration_since(stored.created_at)
            .unwrap_or_default();
        if age > self.settings.edit_window {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "EDIT_WINDOW_CLOSED",
                format!(
                    "messages can be edited for {} after they are sent",
                    humantime_serde::re::humantime::format_duration(self.settings.edit_window)
                ),
            )
            .into());
        }
        if text.is_empty() && stored.attachments.is_empty() {
            return Err(invalid("message.text", "a message needs text or an attachment").into());
        }
        if self
            .store
            .blocked_either_way(user, conversation.other(user))
            .await
            .map_err(storage_error)?
        {
            return Err(blocked().into());
        }
        let (body, masked) = if conversation.contact_allowed {
            (text, false)
        } else {
            domain::mask_contact_details(&text)
        };
        let (edited, wakeups) = self
            .store
            .edit(&stored, &conversation, &body, masked)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| {
                ApiError::failed_precondition(DOMAIN, "MESSAGE_DELETED", "the message was deleted")
            })?;
        self.hub.wake(&wakeups);
        Ok(Response::new(pb::UpdateMessageResponse {
            message: Some(message_to_proto(&edited)),
        }))
    }

    async fn delete_message(
        &self,
        request: Request<pb::DeleteMessageRequest>,
    ) -> Result<Response<pb::DeleteMessageResponse>, Status> {
        let name = request.get_ref().name.clone();
        let (_, conversation, stored) = self.own_message(&request, &name).await?;
        let (tombstone, wakeups) = self
            .store
            .delete(&stored, &conversation)
            .await
            .map_err(storage_error)?;
        self.hub.wake(&wakeups);
        Ok(Response::new(pb::DeleteMessageResponse {
            message: Some(message_to_proto(&tombstone)),
        }))
    }

    async fn mark_conversation_read(
        &self,
        request: Request<pb::MarkConversationReadRequest>,
    ) -> Result<Response<pb::MarkConversationReadResponse>, Status> {
        let id = conversation_name("name", &request.get_ref().name)?;
        let up_to = &request.get_ref().last_read_message;
        let message_id = if up_to.is_empty() {
            None
        } else {
            let (in_conversation, message) = message_name("last_read_message", up_to)?;
            if in_conversation != id {
                return Err(invalid(
                    "last_read_message",
                    "must be a message of this conversation",
                )
                .into());
            }
            Some(message)
        };
        let (user, conversation) = self.participating(&request, id).await?;
        let message = match message_id {
            Some(message_id) => self
                .store
                .message(message_id)
                .await
                .map_err(storage_error)?
                .filter(|message| message.conversation == conversation.id)
                .ok_or_else(|| ApiError::not_found(DOMAIN, up_to))?,
            None => match self
                .store
                .last_message(&conversation)
                .await
                .map_err(storage_error)?
            {
                Some(message) => message,
                None => {
                    return Ok(Response::new(pb::MarkConversationReadResponse {
                        read_receipt: None,
                        total_unread_count: 0,
                    }));
                }
            },
        };
        let read_at = match self
            .store
            .mark_read(&conversation, user, &message)
            .await
            .map_err(storage_error)?
        {
            Some((read_at, wakeups)) => {
                self.hub.wake(&wakeups);
                read_at
            }
            None => SystemTime::now(),
        };
        let (_, total) = self
            .store
            .unread_counts(user, None)
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::MarkConversationReadResponse {
            read_receipt: Some(pb::ReadReceipt {
                conversation: conversation_resource(conversation.id),
                reader: format!("users/{user}"),
                last_read_message: message_resource(&message),
                read_time: timestamp(read_at),
            }),
            total_unread_count: to_i32(total),
        }))
    }

    async fn send_typing_indicator(
        &self,
        request: Request<pb::SendTypingIndicatorRequest>,
    ) -> Result<Response<pb::SendTypingIndicatorResponse>, Status> {
        let id = conversation_name("name", &request.get_ref().name)?;
        let (user, conversation) = self.participating(&request, id).await?;
        let other = conversation.other(user);
        if self
            .store
            .blocked_either_way(user, other)
            .await
            .map_err(storage_error)?
        {
            return Err(blocked().into());
        }
        let indicator = pb::TypingIndicator {
            conversation: conversation_resource(conversation.id),
            user: format!("users/{user}"),
            expire_time: timestamp(SystemTime::now() + self.settings.typing_ttl),
        };
        self.hub.typing(other, indicator.clone());
        Ok(Response::new(pb::SendTypingIndicatorResponse {
            typing_indicator: Some(indicator),
        }))
    }

    type StreamConversationEventsStream = EventStream;

    async fn stream_conversation_events(
        &self,
        request: Request<pb::StreamConversationEventsRequest>,
    ) -> Result<Response<Self::StreamConversationEventsStream>, Status> {
        let user = the_user(&request, "parent", &request.get_ref().parent)?;
        // Subscribed before the first read, so nothing stored in between is missed.
        let subscription = self.hub.subscribe(user);
        let head = self.store.feed_head(user).await.map_err(storage_error)?;
        let after = &request.get_ref().after_cursor;
        let cursor = if after.is_empty() {
            head
        } else {
            after
                .parse::<i64>()
                .ok()
                .filter(|cursor| (0..=head).contains(cursor))
                .ok_or_else(|| invalid("after_cursor", "not a cursor of this user's stream"))?
        };
        let presence_ttl = self.settings.presence_ttl;
        self.store
            .set_presence(user, SystemTime::now() + presence_ttl)
            .await
            .map_err(storage_error)?;
        let (sender, receiver) = mpsc::channel(64);
        let feed = Feed {
            store: self.store.clone(),
            user,
            cursor,
            sender,
            poll: self.settings.stream_poll_interval,
            presence_ttl,
        };
        tokio::spawn(feed.run(subscription, self.draining.clone()));
        let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn search_messages(
        &self,
        request: Request<pb::SearchMessagesRequest>,
    ) -> Result<Response<pb::SearchMessagesResponse>, Status> {
        let user = the_user(&request, "parent", &request.get_ref().parent)?;
        let message = request.get_ref();
        let length = message.query.chars().count();
        let words = domain::words(&message.query);
        if length > 200 {
            return Err(invalid("query", "at most 200 characters").into());
        }
        if words.is_empty() || words.len() > 10 {
            return Err(invalid("query", "1 to 10 words of letters or digits").into());
        }
        let limit = page_size(message.page_size, 20, 50)?;
        let after = time_token(&message.page_token)?;
        let mut records = self
            .store
            .search(user, &words, after, limit + 1)
            .await
            .map_err(storage_error)?;
        let next_page_token = next_page_token(&mut records, limit, |last| {
            make_time_token(last.created_at, last.id)
        });
        Ok(Response::new(pb::SearchMessagesResponse {
            messages: records.iter().map(message_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn create_block(
        &self,
        request: Request<pb::CreateBlockRequest>,
    ) -> Result<Response<pb::CreateBlockResponse>, Status> {
        let user = the_user(&request, "parent", &request.get_ref().parent)?;
        let Some(block) = request.get_ref().block.as_ref() else {
            return Err(invalid("block", "required").into());
        };
        let blocked_user = user_name("block.blocked_user", &block.blocked_user)?;
        if blocked_user == user {
            return Err(invalid("block.blocked_user", "cannot block yourself").into());
        }
        let name = format!("users/{user}/blocks/{blocked_user}");
        let to_proto = |created: SystemTime| pb::Block {
            name: name.clone(),
            blocked_user: format!("users/{blocked_user}"),
            create_time: timestamp(created),
        };
        let (created, _) = self
            .store
            .block(user, blocked_user, |now| {
                NewEvent::new(
                    "messaging.user_blocked",
                    "user",
                    user.to_string(),
                    &pb::UserBlocked {
                        block: Some(to_proto(now)),
                    },
                )
            })
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::CreateBlockResponse {
            block: Some(to_proto(created)),
        }))
    }

    async fn list_blocks(
        &self,
        request: Request<pb::ListBlocksRequest>,
    ) -> Result<Response<pb::ListBlocksResponse>, Status> {
        let user = the_user(&request, "parent", &request.get_ref().parent)?;
        let limit = page_size(request.get_ref().page_size, 50, 100)?;
        let token = &request.get_ref().page_token;
        let after = if token.is_empty() {
            None
        } else {
            Some(
                Uuid::parse_str(token)
                    .map_err(|_| invalid("page_token", "not a token this method returned"))?,
            )
        };
        let mut records = self
            .store
            .blocks(user, after, limit + 1)
            .await
            .map_err(storage_error)?;
        let next_page_token = next_page_token(&mut records, limit, |(id, _)| id.to_string());
        Ok(Response::new(pb::ListBlocksResponse {
            blocks: records
                .iter()
                .map(|(blocked, created)| pb::Block {
                    name: format!("users/{user}/blocks/{blocked}"),
                    blocked_user: format!("users/{blocked}"),
                    create_time: timestamp(*created),
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn delete_block(
        &self,
        request: Request<pb::DeleteBlockRequest>,
    ) -> Result<Response<pb::DeleteBlockResponse>, Status> {
        let name = request.get_ref().name.clone();
        let (parent, blocked) = name.rsplit_once("/blocks/").ok_or_else(|| {
            invalid(
                "name",
                "must be a resource name like users/{user}/blocks/{block}",
            )
        })?;
        let user = the_user(&request, "name", parent)?;
        let blocked = domain::canonical_uuid(blocked)
            .and_then(|id| Uuid::parse_str(&id).ok())
            .ok_or_else(|| {
                invalid(
                    "name",
                    "must be a resource name like users/{user}/blocks/{block}",
                )
            })?;
        if !self
            .store
            .unblock(user, blocked)
            .await
            .map_err(storage_error)?
        {
            return Err(ApiError::not_found(DOMAIN, &name).into());
        }
        Ok(Response::new(pb::DeleteBlockResponse {}))
    }

    async fn create_report(
        &self,
        request: Request<pb::CreateReportRequest>,
    ) -> Result<Response<pb::CreateReportResponse>, Status> {
        let Some(report) = request.get_ref().report.clone() else {
            return Err(invalid("report", "required").into());
        };
        let mut violations = Vec::new();
        let subject = if report.subject.contains("/messages/") {
            message_name("report.subject", &report.subject).map(|(c, m)| (c, Some(m)))
        } else {
            conversation_name("report.subject", &report.subject).map(|c| (c, None))
        };
        let subject = match subject {
            Ok(subject) => Some(subject),
            Err(_) => {
                violations.push(violation(
                    "report.subject",
                    "must name a conversation or one of its messages",
                ));
                None
            }
        };
        let reason = pb::report::Reason::try_from(report.reason)
            .ok()
            .filter(|reason| *reason != pb::report::Reason::Unspecified);
        if reason.is_none() {
            violations.push(violation("report.reason", "required"));
        }
        if report.details.chars().count() > domain::MAX_REPORT_DETAILS_CHARS {
            violations.push(violation(
                "report.details",
                format!("at most {} characters", domain::MAX_REPORT_DETAILS_CHARS),
            ));
        }
        let (Some((conversation_id, message_id)), Some(reason)) = (subject, reason) else {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        };
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        }
        let (user, conversation) = self.participating(&request, conversation_id).await?;
        let reported_user = match message_id {
            Some(message_id) => {
                let message = self
                    .store
                    .message(message_id)
                    .await
                    .map_err(storage_error)?
                    .filter(|message| message.conversation == conversation.id)
                    .ok_or_else(|| ApiError::not_found(DOMAIN, &report.subject))?;
                match message.sender {
                    Some(sender) if sender != user => sender,
                    _ => {
                        return Err(invalid(
                            "report.subject",
                            "only the other participant's messages can be reported",
                        )
                        .into());
                    }
                }
            }
            None => conversation.other(user),
        };
        let id = Uuid::now_v7();
        let now = SystemTime::now();
        let stored = pb::Report {
            name: format!("reports/{id}"),
            subject: report.subject.clone(),
            reason: reason as i32,
            details: report.details.clone(),
            reporter: format!("users/{user}"),
            create_time: timestamp(now),
        };
        let event = NewEvent::new(
            "messaging.report_created",
            "conversation",
            conversation.id.to_string(),
            &pb::ReportCreated {
                report: Some(stored.clone()),
                conversation: conversation_resource(conversation.id),
                reported_user: format!("users/{reported_user}"),
            },
        );
        self.store
            .report(
                id,
                user,
                conversation.id,
                message_id,
                reason.as_str_name(),
                &report.details,
                now,
                event,
            )
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::CreateReportResponse {
            report: Some(stored),
        }))
    }
}

/// One open stream: what was stored after `cursor`, then each new event as it is stored,
/// and typing indicators as they come, until the client goes away or the service drains.
struct Feed {
    store: MessagingStore,
    user: Uuid,
    cursor: i64,
    sender: mpsc::Sender<Result<pb::StreamConversationEventsResponse, Status>>,
    poll: Duration,
    presence_ttl: Duration,
}

impl Feed {
    async fn run(mut self, mut subscription: crate::hub::Subscription, draining: Stopping) {
        let mut draining = draining.into_receiver();
        let mut presence_renewed = Instant::now();
        // After a signal, looks again a few times: the writer may not have committed yet.
        let mut lookups_left = 0u32;
        loop {
            match self.store.feed_after(self.user, self.cursor, 100).await {
                Ok(events) if !events.is_empty() => {
                    lookups_left = 0;
                    for event in &events {
                        self.cursor = event.seq;
                        let Some(response) = self.response(event).await else {
                            continue;
                        };
                        if self.sender.send(Ok(response)).await.is_err() {
                            return; // the client went away
                        }
                    }
                    continue;
                }
                Ok(_) => {}
                Err(err) => {
                    let _ = self.sender.send(Err(storage_error(err).into())).await;
                    return;
                }
            }
            if presence_renewed.elapsed() >= self.presence_ttl / 2 {
                presence_renewed = Instant::now();
                let until = SystemTime::now() + self.presence_ttl;
                if let Err(err) = self.store.set_presence(self.user, until).await {
                    tracing::warn!(error = %err, "renewing a stream's presence failed");
                }
            }
            let wait = if lookups_left > 0 {
                lookups_left -= 1;
                Duration::from_millis(10 << (4 - lookups_left.min(4)))
            } else {
                self.poll.min(self.presence_ttl / 2)
            };
            let timeout = tokio::time::sleep(wait);
            tokio::pin!(timeout);
            loop {
                let signal = tokio::select! {
                    _ = draining.wait_for(|draining| *draining) => return,
                    () = self.sender.closed() => return,
                    () = &mut timeout => break,
                    signal = subscription.signals.recv() => signal,
                };
                match signal {
                    Ok(Signal::Feed(seq)) if seq <= self.cursor => {}
                    Ok(Signal::Feed(_)) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        lookups_left = 4;
                        break;
                    }
                    Ok(Signal::Typing(indicator)) => {
                        let response = pb::StreamConversationEventsResponse {
                            conversation: indicator.conversation.clone(),
                            event_time: timestamp(SystemTime::now()),
                            event: Some(
                                pb::stream_conversation_events_response::Event::TypingIndicator(
                                    indicator,
                                ),
                            ),
                            ..Default::default()
                        };
                        if self.sender.send(Ok(response)).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    }

    async fn response(&self, event: &FeedEvent) -> Option<pb::StreamConversationEventsResponse> {
        use pb::stream_conversation_events_response::Event;
        let message = event.message.as_ref()?;
        let payload = match event.kind {
            FeedKind::Sent => Event::MessageSent(message_to_proto(message)),
            FeedKind::Edited => Event::MessageEdited(message_to_proto(message)),
            FeedKind::Deleted => Event::MessageDeleted(message_to_proto(message)),
            FeedKind::Read => Event::ReadReceipt(pb::ReadReceipt {
                conversation: conversation_resource(event.conversation),
                reader: format!("users/{}", event.actor),
                last_read_message: message_resource(message),
                read_time: timestamp(event.created_at),
            }),
        };
        let (here, total) = self
            .store
            .unread_counts(self.user, Some(event.conversation))
            .await
            .unwrap_or_default();
        Some(pb::StreamConversationEventsResponse {
            cursor: event.seq.to_string(),
            conversation: conversation_resource(event.conversation),
            event: Some(payload),
            unread_count: to_i32(here),
            total_unread_count: to_i32(total),
            event_time: timestamp(event.created_at),
        })
    }
}
