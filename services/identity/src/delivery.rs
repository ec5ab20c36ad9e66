//! Getting one-time tokens to the people they belong to.
//!
//! The real delivery is the event: `identity.email_verification_requested` and
//! `identity.password_reset_requested` carry the token sealed to the notification service's
//! delivery key, and the notification service opens and mails it. Identity itself keeps only the
//! token's hash and never returns the raw value through its API — not even to tests.
//!
//! [`TokenDelivery`] is the seam where the handler hands over the mail-bearing events after
//! their transaction commits. Production uses [`ThroughEvents`], which has nothing left to do;
//! tests pass a recording implementation to [`build_with_delivery`] and read the
//! token a user would have received by mail, exactly as the notification service will.
//!
//! [`build_with_delivery`]: crate::build_with_delivery

pub use crate::events::TokenMail;

/// A token on its way to a mailbox.
#[derive(Debug, Clone, PartialEq)]
pub enum Mail {
    EmailVerification(TokenMail),
    PasswordReset(TokenMail),
}

/// Receives each mail-bearing event once its transaction has committed.
pub trait TokenDelivery: std::fmt::Debug + Send + Sync + 'static {
    fn deliver(&self, mail: &Mail);
}

/// The production delivery: the token already travels, sealed, in its event, so nothing more
/// happens here.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThroughEvents;

impl TokenDelivery for ThroughEvents {
    fn deliver(&self, _mail: &Mail) {}
}
