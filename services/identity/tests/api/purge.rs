//! Ended sessions, dead tokens and stale counters are deleted; live ones stay.

use std::time::{Duration, SystemTime};

use estospaces_identity::domain::Email;
use estospaces_identity::secrets::OpaqueToken;
use estospaces_identity::store::{
    IdentityStore, MIGRATIONS, NewToken, Purged, SessionMeta, ThrottleRule,
};
use estospaces_storage::testing::TestDatabase;

use crate::helpers::{Backend, on_both_backends};

on_both_backends! {
    async fn a_purge_deletes_what_has_ended_and_keeps_what_is_live(backend: Backend) {
        let database = match backend {
            Backend::Postgres => TestDatabase::postgres(&[MIGRATIONS, estospaces_events::MIGRATIONS]).await,
            Backend::Sqlite => TestDatabase::sqlite(&[MIGRATIONS, estospaces_events::MIGRATIONS]).await,
        }
        .expect("a fresh test database");
        let store = IdentityStore::new(database.database.clone());
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        let token = OpaqueToken::generate();
        let email = Email::parse("ann@example.com").expect("valid");
        // The verification token expires in an hour.
        let (user, _) = store
            .create_user(&email, "hash", NewToken { raw: token.expose(), digest: token.digest(), expires_at: now + hour }, now)
            .await
            .expect("created");
        let meta = SessionMeta { user_agent: "test".to_owned(), client_address: "127.0.0.1".to_owned() };
        let live = OpaqueToken::generate();
        let ended = OpaqueToken::generate();
        store.create_session(user.id, &meta, live.digest(), now + 2 * hour, None, now).await.expect("live session");
        store.create_session(user.id, &meta, ended.digest(), now + hour / 2, None, now).await.expect("short session");
        let rule = ThrottleRule { max_failures: 5, window: hour, lockout: hour, max_lockout: hour };
        store.record_failure("account:ann@example.com", rule, now).await.expect("counted");

        let nothing_yet = store.purge_expired(hour, now).await.expect("purged");
        let later = store.purge_expired(hour, now + hour + Duration::from_secs(1)).await.expect("purged");

        assert_eq!(nothing_yet, Purged::default());
        assert_eq!(later, Purged { sessions: 1, one_time_tokens: 1, throttle_counters: 1 });
    }
}
