//! Wakes the streams open on this replica when their user's stream grows, and carries typing
//! indicators, which are never stored.
//!
//! On PostgreSQL the hub is bridged to the other replicas with LISTEN/NOTIFY ([`Hub::bridge`]):
//! what one replica signals, every replica's streams hear. A signal is only a hint: a woken
//! stream reads what it has not sent from the database, so a lost or early signal (before the
//! writer committed, or while the bridge reconnects) costs latency, never a message. Streams
//! also look on their own every `stream_poll_interval`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use estospaces_proto::messaging_v1 as pb;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::{broadcast, mpsc};
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
    /// Where signals go for the other replicas, once bridged.
    bridge: Option<mpsc::UnboundedSender<String>>,
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

    /// Tells each user's streams, here and on the other replicas, that their stream grew.
    pub fn wake(&self, wakeups: &Wakeups) {
        if wakeups.is_empty() {
            return;
        }
        self.wake_here(wakeups);
        if let Some(bridge) = &self.bridge {
            let _ = bridge.send(encode_wakeups(wakeups));
        }
    }

    /// Tells `user`'s streams, here and on the other replicas, that someone is typing.
    pub fn typing(&self, user: Uuid, indicator: pb::TypingIndicator) {
        if let Some(bridge) = &self.bridge {
            let _ = bridge.send(encode_typing(user, &indicator));
        }
        self.typing_here(user, indicator);
    }

    fn wake_here(&self, wakeups: &Wakeups) {
        let users = self.lock();
        for (user, seq) in wakeups {
            if let Some(channel) = users.get(user) {
                let _ = channel.send(Signal::Feed(*seq));
            }
        }
    }

    fn typing_here(&self, user: Uuid, indicator: pb::TypingIndicator) {
        if let Some(channel) = self.lock().get(&user) {
            let _ = channel.send(Signal::Typing(indicator));
        }
    }

    /// Bridges this hub to the other replicas' through PostgreSQL's LISTEN/NOTIFY on the
    /// database at `url`; the bridged hub and the task that carries signals both ways.
    pub async fn bridge(
        self,
        url: &str,
    ) -> anyhow::Result<(Self, impl Future<Output = ()> + Send + 'static)> {
        // Two connections: one listens, one notifies.
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(NOTIFY_CHANNEL).await?;
        let replica = Uuid::now_v7();
        let (sender, outgoing) = mpsc::unbounded_channel();
        let hub = Self {
            users: self.users,
            bridge: Some(sender),
        };
        let carried = hub.clone();
        let task = async move {
            tokio::join!(
                notify(pool, replica, outgoing),
                carried.listen(listener, replica)
            );
        };
        Ok((hub, task))
    }

    /// Delivers the other replicas' signals here.
    async fn listen(self, mut listener: PgListener, replica: Uuid) {
        loop {
            match listener.recv().await {
                Ok(notification) => self.deliver(notification.payload(), replica),
                Err(err) => {
                    // `recv` reconnects on the next call; streams poll meanwhile.
                    tracing::warn!(error = %err, "the LISTEN connection failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn deliver(&self, payload: &str, own: Uuid) {
        let mut parts = payload.split(' ');
        let (Some(kind), Some(from)) = (parts.next(), parts.next()) else {
            return;
        };
        if Uuid::parse_str(from).ok() == Some(own) {
            return; // delivered here already
        }
        match kind {
            "w" => {
                let wakeups: Wakeups = parts
                    .filter_map(|pair| {
                        let (user, seq) = pair.split_once(':')?;
                        Some((Uuid::parse_str(user).ok()?, seq.parse().ok()?))
                    })
                    .collect();
                self.wake_here(&wakeups);
            }
            "t" => {
                let fields: Vec<&str> = parts.collect();
                let [user, conversation, typist, expire] = fields[..] else {
                    return;
                };
                let (Ok(user), Ok(expire)) = (Uuid::parse_str(user), expire.parse::<i64>()) else {
                    return;
                };
                self.typing_here(
                    user,
                    pb::TypingIndicator {
                        conversation: conversation.to_owned(),
                        user: typist.to_owned(),
                        expire_time: Some(estospaces_storage::from_unix_micros(expire).into()),
                    },
                );
            }
            _ => {}
        }
    }

    /// How many users have a stream open here.
    pub fn connected_users(&self) -> usize {
        self.lock().len()
    }
}

/// The PostgreSQL channel the replicas' hubs share.
const NOTIFY_CHANNEL: &str = "estospaces_messaging";

/// `w <replica> <user>:<seq> …`; the replica is filled in when sent.
fn encode_wakeups(wakeups: &Wakeups) -> String {
    let pairs: Vec<String> = wakeups
        .iter()
        .map(|(user, seq)| format!("{user}:{seq}"))
        .collect();
    format!("w {{replica}} {}", pairs.join(" "))
}

/// `t <replica> <user> <conversation> <typist> <expire micros>`.
fn encode_typing(user: Uuid, indicator: &pb::TypingIndicator) -> String {
    let expire = indicator
        .expire_time
        .and_then(|time| SystemTime::try_from(time).ok())
        .map_or(0, estospaces_storage::unix_micros);
    format!(
        "t {{replica}} {user} {} {} {expire}",
        indicator.conversation, indicator.user
    )
}

/// Sends this replica's signals to the others, as they come.
async fn notify(pool: PgPool, replica: Uuid, mut outgoing: mpsc::UnboundedReceiver<String>) {
    let replica = replica.to_string();
    while let Some(payload) = outgoing.recv().await {
        let payload = payload.replacen("{replica}", &replica, 1);
        if let Err(err) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(NOTIFY_CHANNEL)
            .bind(&payload)
            .execute(&pool)
            .await
        {
            // The other replicas' streams find the events by polling.
            tracing::warn!(error = %err, "telling the other replicas failed");
        }
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
