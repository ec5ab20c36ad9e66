//! The events each state change records in its transaction, where the outbox append goes.

use std::time::{Duration, SystemTime};

use estospaces_auth::Role;
use estospaces_identity::domain::Email;
use estospaces_identity::events::IdentityEvent;
use estospaces_identity::secrets::OpaqueToken;
use estospaces_identity::store::{IdentityStore, MIGRATIONS, NewToken};
use estospaces_storage::testing::TestDatabase;

use crate::helpers::{Backend, on_both_backends};

async fn store(backend: Backend) -> (IdentityStore, TestDatabase) {
    let database = match backend {
        Backend::Postgres => {
            TestDatabase::postgres(&[MIGRATIONS, estospaces_events::MIGRATIONS]).await
        }
        Backend::Sqlite => TestDatabase::sqlite(&[MIGRATIONS, estospaces_events::MIGRATIONS]).await,
    }
    .expect("a fresh test database");
    (IdentityStore::new(database.database.clone()), database)
}

fn types(events: &[IdentityEvent]) -> Vec<&'static str> {
    events.iter().map(IdentityEvent::event_type).collect()
}

on_both_backends! {
    async fn each_change_records_its_events_and_a_change_that_changes_nothing_records_none(backend: Backend) {
        let (store, _database) = store(backend).await;
        let now = SystemTime::now();
        let email = Email::parse("ann@example.com").expect("valid");
        let token = OpaqueToken::generate();
        let verification = NewToken { raw: token.expose(), digest: token.digest(), expires_at: now + Duration::from_secs(60) };

        let (user, registered) = store.create_user(&email, "hash", verification, now).await.expect("created");
        assert_eq!(types(registered.events()), ["identity.user_registered", "identity.email_verification_requested"]);
        assert!(registered.events().iter().all(|event| event.key() == user.id.name()));
        let IdentityEvent::EmailVerificationRequested(mail) = &registered.events()[1] else { panic!("wrong event") };
        assert_eq!(mail.token, token.expose(), "the raw token travels in the event");

        let (_, granted) = store.grant_role(user.id, Role::Host, "", now).await.expect("granted");
        let IdentityEvent::RolesChanged(changed) = &granted.events()[0] else { panic!("wrong event") };
        assert_eq!(changed.roles.len(), 2);
        let (_, again) = store.grant_role(user.id, Role::Host, "", now).await.expect("no-op");
        assert!(again.events().is_empty());
        let (_, revoked) = store.revoke_role(user.id, Role::Host, "", now).await.expect("revoked");
        assert_eq!(types(revoked.events()), ["identity.roles_changed"]);

        let deleted = store.delete_user(user.id, now).await.expect("deleted");
        assert_eq!(types(deleted.events()), ["identity.user_deleted"]);
    }
}
