//! Wakes the streams open on this replica when their user's stream grows, and carries typing
//! indicators, which are never stored.
//!
//! A signal is only a hint: a woken stream reads what it has not sent from the database, so a
//! lost or early signal (before the writer committed) costs latency, never a message. Streams
//! also look on their own every `stream_poll_interval`, which is how events written by other
//! replicas reach them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use estospaces_proto::messaging_v1 as pb;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::store::Wakeups;

/// What a stream is told.
#[derive(Debug, Clone)]
pub enum Signal {
    /// The user's stream has events after the one numbered.
    Feed(i64),
    /// Someone in one of the user's conversations is typing.
    Typing(pb::TypingIndicator),
}

type Channels = HashMap<Uuid, broadcast::Sender<Signal>>;

/// The streams open on this replica, by user. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    users: Arc<Mutex<Channels>>,
}

/// One stream's signals; unregisters the user's channel when its last stream goes.
#[derive(Debug)]
pub struct Subscription {
    hub: Hub,
    user: Uuid,
    pub signals: broadcast::Receiver<Signal>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut users = self.hub.lock();
        if users
            .get(&self.user)
            .is_some_and(|channel| channel.receiver_count() <= 1)
        {
            users.remove(&self.user);
        }
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Channels> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Signals for `user`'s streams from now on.
    pub fn subscribe(&self, user: Uuid) -> Subscription {
        let signals = self
            .lock()
            .entry(user)
            .or_insert_with(|| broadcast::channel(64).0)
            .subscribe();
        Subscription {
            hub: self.clone(),
            user,
            signals,
        }
    }

    /// Whether `user` has a stream open on this replica.
    pub fn is_connected(&self, user: Uuid) -> bool {
        self.lock().contains_key(&user)
    }

    /// Tells each user's streams that their stream grew.
    pub fn wake(&self, wakeups: &Wakeups) {
        let users = self.lock();
        for (user, seq) in wakeups {
            if let Some(channel) = users.get(user) {
                let _ = channel.send(Signal::Feed(*seq));
            }
        }
    }

    /// Tells `user`'s streams someone is typing.
    pub fn typing(&self, user: Uuid, indicator: pb::TypingIndicator) {
        if let Some(channel) = self.lock().get(&user) {
            let _ = channel.send(Signal::Typing(indicator));
        }
    }

    /// How many users have a stream open here.
    pub fn connected_users(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wakeup_reaches_only_its_users_streams_and_the_last_stream_unregisters() {
        let hub = Hub::default();
        let (ann, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let mut first = hub.subscribe(ann);
        let second = hub.subscribe(ann);
        let mut other = hub.subscribe(bob);
        hub.wake(&vec![(ann, 7)]);
        assert!(matches!(first.signals.recv().await, Ok(Signal::Feed(7))));
        assert!(other.signals.try_recv().is_err(), "bob was not woken");
        drop(second);
        assert!(hub.is_connected(ann), "one of ann's streams is still open");
        drop(first);
        assert!(!hub.is_connected(ann));
        assert_eq!(hub.connected_users(), 1);
    }
}
