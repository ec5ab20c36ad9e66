//! The events identity emits, as self-contained protobuf payloads
//! (`proto/estospaces/identity/v1/identity_events.proto`).
//!
//! Each state change that others must hear about happens in one database transaction, and the
//! payload is built by a pure function below at the point in that transaction where it is to be
//! appended to the transactional outbox, so the change and its event commit together or not at
//! all: [`Emitted::record`] appends each to the transactional outbox and also collects it, so the
//! store can return them to the handler, which passes mail-bearing ones to the
//! [`TokenDelivery`](crate::delivery::TokenDelivery) hook after the commit.
//!
//! One-time tokens never reach the outbox in clear: [`Emitted::record`] seals them to the newest
//! delivery key the notification service has published (see [`crate::delivery_keys`]).

use std::fmt;
use std::time::SystemTime;

use estospaces_auth::Role;
use estospaces_events::{NewEvent, Outbox};
use estospaces_proto::identity_v1 as pb;
use prost_types::Timestamp;
use sqlx::AnyConnection;

use crate::domain::UserId;
use crate::service::{role_to_proto, state_to_proto};
use crate::store::AccountState;

/// One event, by type. The two mail events hold the raw token in memory only.
#[derive(Clone, PartialEq)]
pub enum IdentityEvent {
    UserRegistered(pb::UserRegistered),
    EmailVerificationRequested(TokenMail),
    PasswordResetRequested(TokenMail),
    RolesChanged(pb::RolesChanged),
    UserDeleted(pb::UserDeleted),
    SignedIn(pb::SignedIn),
    MfaChanged(pb::MfaChanged),
    UserStateChanged(pb::UserStateChanged),
}

/// A one-time token on its way to its owner's mailbox.
#[derive(Clone, PartialEq)]
pub struct TokenMail {
    /// `users/{user}`.
    pub user: String,
    pub email: String,
    /// The raw token: a credential, never printed or written in clear.
    pub token: String,
    pub expire_time: Option<Timestamp>,
}

impl fmt::Debug for TokenMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenMail")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl IdentityEvent {
    /// The event type, as consumers subscribe to it.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::UserRegistered(_) => "identity.user_registered",
            Self::EmailVerificationRequested(_) => "identity.email_verification_requested",
            Self::PasswordResetRequested(_) => "identity.password_reset_requested",
            Self::RolesChanged(_) => "identity.roles_changed",
            Self::UserDeleted(_) => "identity.user_deleted",
            Self::SignedIn(_) => "identity.signed_in",
            Self::MfaChanged(_) => "identity.mfa_changed",
            Self::UserStateChanged(_) => "identity.user_state_changed",
        }
    }

    /// The event as the outbox records it: aggregate `user`, keyed by the account. A mail
    /// event's token goes only as `sealed_token`.
    pub fn to_new_event(&self, sealed_token: Option<pb::SealedSecret>) -> NewEvent {
        let (event_type, key) = (self.event_type(), self.key().to_owned());
        match self {
            Self::UserRegistered(payload) => NewEvent::new(event_type, "user", key, payload),
            Self::EmailVerificationRequested(mail) => {
                let payload = pb::EmailVerificationRequested {
                    user: mail.user.clone(),
                    email: mail.email.clone(),
                    expire_time: mail.expire_time,
                    sealed_token,
                    ..Default::default()
                };
                NewEvent::new(event_type, "user", key, &payload)
            }
            Self::PasswordResetRequested(mail) => {
                let payload = pb::PasswordResetRequested {
                    user: mail.user.clone(),
                    email: mail.email.clone(),
                    expire_time: mail.expire_time,
                    sealed_token,
                    ..Default::default()
                };
                NewEvent::new(event_type, "user", key, &payload)
            }
            Self::RolesChanged(payload) => NewEvent::new(event_type, "user", key, payload),
            Self::UserDeleted(payload) => NewEvent::new(event_type, "user", key, payload),
            Self::SignedIn(payload) => NewEvent::new(event_type, "user", key, payload),
            Self::MfaChanged(payload) => NewEvent::new(event_type, "user", key, payload),
            Self::UserStateChanged(payload) => NewEvent::new(event_type, "user", key, payload),
        }
    }

    /// The raw token of a mail event.
    fn token(&self) -> Option<&str> {
        match self {
            Self::EmailVerificationRequested(mail) | Self::PasswordResetRequested(mail) => {
                Some(&mail.token)
            }
            _ => None,
        }
    }

    /// The account the event is about (`users/{user}`): the partition key, so one account's
    /// events stay in order.
    pub fn key(&self) -> &str {
        match self {
            Self::UserRegistered(event) => &event.user,
            Self::EmailVerificationRequested(mail) => &mail.user,
            Self::PasswordResetRequested(mail) => &mail.user,
            Self::RolesChanged(event) => &event.user,
            Self::UserDeleted(event) => &event.user,
            Self::SignedIn(event) => &event.user,
            Self::MfaChanged(event) => &event.user,
            Self::UserStateChanged(event) => &event.user,
        }
    }
}

impl fmt::Debug for IdentityEvent {
    // Two payloads carry raw tokens: print what identifies the event, never its contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityEvent")
            .field("type", &self.event_type())
            .field("key", &self.key())
            .finish()
    }
}

/// Identity's outbox: its events go to `estospaces.identity.v1`.
pub const OUTBOX: Outbox = Outbox::new("identity");

/// The events one transaction emits, in order.
#[derive(Debug, Default)]
#[must_use = "the events must reach the outbox"]
pub struct Emitted(Vec<IdentityEvent>);

impl Emitted {
    /// Appends `event` to the outbox in `tx`, the transaction of the change it describes.
    pub async fn record(
        &mut self,
        tx: &mut AnyConnection,
        event: IdentityEvent,
    ) -> Result<(), sqlx::Error> {
        let sealed = match event.token() {
            Some(token) => crate::delivery_keys::seal_in(tx, token).await?,
            None => None,
        };
        OUTBOX.append(tx, event.to_new_event(sealed)).await?;
        self.0.push(event);
        Ok(())
    }

    /// The events, in the order they were emitted.
    pub fn events(&self) -> &[IdentityEvent] {
        &self.0
    }
}

fn timestamp(time: SystemTime) -> Option<Timestamp> {
    Some(Timestamp::from(time))
}

fn roles(roles: &[Role]) -> Vec<i32> {
    roles
        .iter()
        .map(|role| role_to_proto(*role) as i32)
        .collect()
}

/// `identity.user_registered`.
pub fn user_registered(
    user: UserId,
    email: &str,
    initial_roles: &[Role],
    created_at: SystemTime,
) -> IdentityEvent {
    IdentityEvent::UserRegistered(pb::UserRegistered {
        user: user.name(),
        email: email.to_owned(),
        roles: roles(initial_roles),
        create_time: timestamp(created_at),
    })
}

fn token_mail(user: UserId, email: &str, token: &str, expires_at: SystemTime) -> TokenMail {
    TokenMail {
        user: user.name(),
        email: email.to_owned(),
        token: token.to_owned(),
        expire_time: timestamp(expires_at),
    }
}

/// `identity.email_verification_requested`, with the token to mail.
pub fn email_verification_requested(
    user: UserId,
    email: &str,
    token: &str,
    expires_at: SystemTime,
) -> IdentityEvent {
    IdentityEvent::EmailVerificationRequested(token_mail(user, email, token, expires_at))
}

/// `identity.password_reset_requested`, with the token to mail.
pub fn password_reset_requested(
    user: UserId,
    email: &str,
    token: &str,
    expires_at: SystemTime,
) -> IdentityEvent {
    IdentityEvent::PasswordResetRequested(token_mail(user, email, token, expires_at))
}

/// `identity.roles_changed`, with every role held after the change.
/// `actor` is the admin's user id, empty for the bootstrap admin.
pub fn roles_changed(
    user: UserId,
    now_held: &[Role],
    actor: &str,
    changed_at: SystemTime,
) -> IdentityEvent {
    IdentityEvent::RolesChanged(pb::RolesChanged {
        user: user.name(),
        roles: roles(now_held),
        change_time: timestamp(changed_at),
        actor: if actor.is_empty() {
            String::new()
        } else {
            format!("users/{actor}")
        },
    })
}

/// `identity.user_state_changed`: `actor` suspended, banned or reinstated `user`.
pub fn user_state_changed(
    user: UserId,
    before: AccountState,
    after: AccountState,
    actor: UserId,
    reason: &str,
    at: SystemTime,
) -> IdentityEvent {
    IdentityEvent::UserStateChanged(pb::UserStateChanged {
        user: user.name(),
        previous_state: state_to_proto(before) as i32,
        state: state_to_proto(after) as i32,
        suspend_end_time: match after {
            AccountState::Suspended { until } => timestamp(until),
            _ => None,
        },
        actor: actor.name(),
        reason: reason.to_owned(),
        change_time: timestamp(at),
    })
}

/// `identity.user_deleted`.
pub fn user_deleted(user: UserId, deleted_at: SystemTime) -> IdentityEvent {
    IdentityEvent::UserDeleted(pb::UserDeleted {
        user: user.name(),
        delete_time: timestamp(deleted_at),
    })
}

/// `identity.signed_in`.
pub fn signed_in(
    user: UserId,
    session: String,
    user_agent: &str,
    client_address: &str,
    at: SystemTime,
) -> IdentityEvent {
    IdentityEvent::SignedIn(pb::SignedIn {
        user: user.name(),
        session,
        user_agent: user_agent.to_owned(),
        client_address: client_address.to_owned(),
        sign_in_time: timestamp(at),
    })
}

/// `identity.mfa_changed`.
pub fn mfa_changed(user: UserId, enabled: bool, at: SystemTime) -> IdentityEvent {
    IdentityEvent::MfaChanged(pb::MfaChanged {
        user: user.name(),
        enabled,
        change_time: timestamp(at),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn user_registered_carries_the_account_its_email_and_roles() {
        let user = UserId::new();
        let event = user_registered(user, "ann@example.com", &[Role::Guest], at(100));

        assert_eq!(event.event_type(), "identity.user_registered");
        assert_eq!(event.key(), user.name());
        let IdentityEvent::UserRegistered(payload) = event else {
            panic!("wrong event");
        };
        assert_eq!(payload.email, "ann@example.com");
        assert_eq!(payload.roles, [pb::Role::Guest as i32]);
        assert_eq!(payload.create_time.map(|t| t.seconds), Some(100));
    }

    #[test]
    fn mail_events_hold_the_raw_token_in_memory_but_never_print_or_publish_it() {
        let user = UserId::new();
        for event in [
            email_verification_requested(user, "ann@example.com", "s3cret-token", at(5)),
            password_reset_requested(user, "ann@example.com", "s3cret-token", at(5)),
        ] {
            assert_eq!(event.token(), Some("s3cret-token"));
            assert!(!format!("{event:?}").contains("s3cret"));
            let published = event.to_new_event(None);
            let bytes = &published.payload().value;
            assert!(
                !bytes.windows(6).any(|w| w == b"s3cret"),
                "no clear token on the topic"
            );
        }
    }

    #[test]
    fn roles_changed_lists_every_role_held_and_user_deleted_names_the_account() {
        let user = UserId::new();
        let IdentityEvent::RolesChanged(changed) =
            roles_changed(user, &[Role::Guest, Role::Host], "", at(7))
        else {
            panic!("wrong event");
        };
        assert_eq!(
            changed.roles,
            [pb::Role::Guest as i32, pb::Role::Host as i32]
        );

        let deleted = user_deleted(user, at(9));
        assert_eq!(deleted.event_type(), "identity.user_deleted");
        let IdentityEvent::UserDeleted(deleted) = deleted else {
            panic!("wrong event");
        };
        assert_eq!(deleted.user, user.name());
        assert_eq!(deleted.delete_time.map(|t| t.seconds), Some(9));
    }
}
