//! Getting one-time tokens to the people they belong to.
//!
//! The real delivery is the event: `identity.email_verification_requested` and
//! `identity.password_reset_requested` carry the raw token, and the notification service mails
//! it. Identity itself keeps only the token's hash and never returns the raw value through its
//! API — not even to tests.
//!
//! [`TokenDelivery`] is the seam where the handler hands over the mail-bearing events after
//! their transaction commits. Production uses [`ThroughEvents`], which has nothing left to do;
//! tests pass a recording implementation to [`build_with_delivery`] and read the
//! token a user would have received by mail, exactly as the notification service will.
//!
//! [`build_with_delivery`]: crate::build_with_delivery

use estospaces_proto::identity_v1 as pb;

/// A token on its way to a mailbox.
#[derive(Clone, PartialEq)]
pub enum Mail {
    EmailVerification(pb::EmailVerificationRequested),
    PasswordReset(pb::PasswordResetRequested),
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a credential: never printed.
        let (kind, user) = match self {
            Self::EmailVerification(mail) => ("EmailVerification", &mail.user),
            Self::PasswordReset(mail) => ("PasswordReset", &mail.user),
        };
        f.debug_struct("Mail")
            .field("kind", &kind)
            .field("user", user)
            .finish_non_exhaustive()
    }
}

/// Receives each mail-bearing event once its transaction has committed.
pub trait TokenDelivery: std::fmt::Debug + Send + Sync + 'static {
    fn deliver(&self, mail: &Mail);
}

/// The production delivery: the token already travels in its event, so nothing more happens
/// here.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThroughEvents;

impl TokenDelivery for ThroughEvents {
    fn deliver(&self, _mail: &Mail) {}
}
