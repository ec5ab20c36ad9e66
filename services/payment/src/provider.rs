//! Who moves the money: the [`PaymentProvider`] trait, and [`SandboxProvider`], which plays a
//! card processor with Stripe's deterministic test cards.
//!
//! Every call carries an idempotency key. A provider must treat a repeated key like Stripe
//! does: the same key with the same parameters returns the first call's result without doing
//! anything again, so a caller that lost an answer (or rolled back what it did with it) can
//! simply call again.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use estospaces_storage::{Backend, Database, Migrations};
use futures::future::BoxFuture;
use sqlx::Row;

/// The sandbox's own tables: its intents and idempotency keys.
pub static SANDBOX_MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/sandbox/postgres"),
    sqlite: &sqlx::migrate!("migrations/sandbox/sqlite"),
};

/// Why a provider call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The payment method was declined: a final answer for this request.
    #[error("declined ({code}): {message}")]
    Declined { code: String, message: String },
    /// The provider refused the request itself (wrong state, bad parameters, a reused key):
    /// retrying the same request cannot help.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The provider could not be reached or failed: retry with the same idempotency key.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// An authorization to ask for.
#[derive(Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    pub idempotency_key: &'a str,
    pub amount: i64,
    pub currency_code: &'a str,
    /// A provider's payment method id or a test card number. Never logged: `Debug` hides it.
    pub payment_method: &'a str,
    /// The id of what is paid for (a booking's, or a reservation's for a deposit), for the
    /// provider's records.
    pub booking_id: &'a str,
}

impl fmt::Debug for AuthorizeRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("idempotency_key", &self.idempotency_key)
            .field("amount", &self.amount)
            .field("currency_code", &self.currency_code)
            .field("payment_method", &"<redacted>")
            .field("booking_id", &self.booking_id)
            .finish()
    }
}

/// A card processor. Implementations honour idempotency keys (see the module's docs).
pub trait PaymentProvider: Send + Sync + fmt::Debug + 'static {
    /// The provider's name as stored on payments (`sandbox`, `stripe`).
    fn name(&self) -> &'static str;

    /// Holds `amount` on the payment method without charging; the provider's payment id.
    fn authorize<'a>(
        &'a self,
        request: AuthorizeRequest<'a>,
    ) -> BoxFuture<'a, Result<String, ProviderError>>;

    /// Charges `amount` (at most the authorized amount) of an authorized payment; the rest of
    /// the authorization is released.
    fn capture<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
        amount: i64,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Releases an authorization without charging.
    fn void<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Returns `amount` of a captured payment; the provider's refund id.
    fn refund<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
        amount: i64,
    ) -> BoxFuture<'a, Result<String, ProviderError>>;
}

// === impl SandboxProvider ===

/// What a sandbox call did to money, in order: tests count these to prove that money moved
/// exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Movement {
    Authorized { payment: String, amount: i64 },
    Captured { payment: String, amount: i64 },
    Voided { payment: String },
    Refunded { payment: String, amount: i64 },
}

/// A card processor in memory that behaves like Stripe in test mode:
///
/// | payment method | outcome |
/// | --- | --- |
/// | `4242424242424242`, `pm_card_visa` | succeeds |
/// | `4000000000000002`, `pm_card_chargeDeclined` | `card_declined` |
/// | `4000000000009995`, `pm_card_chargeDeclinedInsufficientFunds` | `insufficient_funds` |
/// | `4000000000000119`, `pm_card_chargeDeclinedProcessingError` | `processing_error` |
/// | `4000002500003155`, `pm_card_authenticationRequired` | `authentication_required` |
/// | anything else | `card_declined` (an unknown method) |
///
/// It keeps Stripe's rules: a capture of at most the authorized amount and only while
/// authorized, a void only while authorized, refunds of at most what was captured; and its
/// idempotency keys replay the first result (a reused key with other parameters is rejected).
/// Clones share the state.
///
/// [`SandboxProvider::durable`] keeps its intents and keys in a database as well, so that like a
/// real processor it remembers them across restarts: an authorization made before a crash can
/// be captured after it. Its store is its own (on SQLite a file of its own), as a processor's
/// would be: its writes never wait for the payment service's transaction that calls it.
#[derive(Debug, Clone, Default)]
pub struct SandboxProvider {
    state: Arc<Mutex<Sandbox>>,
    /// Where intents and keys are kept, with the locks that keep one intent's (or, before it
    /// exists, one key's) load, change and save from interleaving with another call's.
    store: Option<(Database, Arc<CallLocks>)>,
}

/// Serializes a durable sandbox's calls on the same intent or key, so that two saves of one
/// intent cannot land in the wrong order, while on PostgreSQL calls on different payments run
/// side by side (one lock for all of them capped the saga at one store round trip at a time).
/// SQLite takes one writer at a time anyway: there every call takes the same lock, rather than
/// queueing in SQLite's busy handler.
#[derive(Debug)]
struct CallLocks(Vec<tokio::sync::Mutex<()>>);

impl CallLocks {
    fn for_backend(backend: Backend) -> Self {
        let stripes = match backend {
            Backend::Postgres => 64,
            Backend::Sqlite => 1,
        };
        Self((0..stripes).map(|_| tokio::sync::Mutex::new(())).collect())
    }

    /// The lock of `name`'s stripe: names sharing a stripe merely wait for each other.
    async fn lock(&self, name: &str) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{BuildHasher as _, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(name);
        self.0[(hash % self.0.len() as u64) as usize].lock().await
    }
}

#[derive(Debug, Default)]
struct Sandbox {
    intents: HashMap<String, Intent>,
    /// Results by idempotency key, with the request's fingerprint.
    keys: HashMap<String, (String, Result<String, ProviderError>)>,
    movements: Vec<Movement>,
    /// How many of the next calls do their work but answer `Unavailable`, as if the answer was
    /// lost on the way back.
    lose_answers: usize,
    /// How many of the next calls fail with `Unavailable` without doing anything.
    outages: usize,
}

#[derive(Debug)]
struct Intent {
    authorized: i64,
    captured: i64,
    refunded: i64,
    status: IntentStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntentStatus {
    RequiresCapture,
    Succeeded,
    Canceled,
}

/// The decline a test payment method produces, if any.
fn decline_of(payment_method: &str) -> Option<(&'static str, &'static str)> {
    match payment_method {
        "4242424242424242" | "pm_card_visa" => None,
        "4000000000000002" | "pm_card_chargeDeclined" => {
            Some(("card_declined", "Your card was declined."))
        }
        "4000000000009995" | "pm_card_chargeDeclinedInsufficientFunds" => {
            Some(("insufficient_funds", "Your card has insufficient funds."))
        }
        "4000000000000119" | "pm_card_chargeDeclinedProcessingError" => Some((
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        )),
        "4000002500003155" | "pm_card_authenticationRequired" => Some((
            "authentication_required",
            "Your card requires authentication, which is not possible here.",
        )),
        _ => Some(("card_declined", "The payment method is not known.")),
    }
}

impl SandboxProvider {
    /// A sandbox that forgets everything when the process ends: for tests.
    pub fn new() -> Self {
        Self::default()
    }

    /// A sandbox that keeps its intents and keys in `db` (migrated here).
    pub async fn durable(db: Database) -> anyhow::Result<Self> {
        db.migrate(SANDBOX_MIGRATIONS).await?;
        let locks = CallLocks::for_backend(db.backend());
        Ok(Self {
            state: Arc::default(),
            store: Some((db, Arc::new(locks))),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Sandbox> {
        // A panic while holding the lock leaves consistent maps behind: use them.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every movement of money so far, in order.
    pub fn movements(&self) -> Vec<Movement> {
        self.lock().movements.clone()
    }

    /// The next `calls` calls do their work but answer `Unavailable`, like a connection that
    /// dropped after the provider acted.
    pub fn lose_next_answers(&self, calls: usize) {
        self.lock().lose_answers = calls;
    }

    /// The next `calls` calls fail with `Unavailable` without doing anything.
    pub fn fail_next_calls(&self, calls: usize) {
        self.lock().outages = calls;
    }

    /// Runs `operation` once per idempotency key: a repeated key with the same `fingerprint`
    /// gets the first result back; with another fingerprint it is rejected. `payment` is the
    /// intent the operation works on, if it exists yet; a durable sandbox loads it first and
    /// saves it, with the key's result, after.
    async fn idempotent(
        &self,
        key: &str,
        fingerprint: String,
        payment: Option<&str>,
        operation: impl FnOnce(&mut Sandbox) -> Result<String, ProviderError>,
    ) -> Result<String, ProviderError> {
        let _one_at_a_time = match &self.store {
            Some((_, locks)) => Some(locks.lock(payment.unwrap_or(key)).await),
            None => None,
        };
        if let Some((db, _)) = &self.store {
            self.load(db, key, payment).await.map_err(unavailable)?;
        }
        let (result, fresh) = {
            let mut sandbox = self.lock();
            if sandbox.outages > 0 {
                sandbox.outages -= 1;
                return Err(ProviderError::Unavailable("sandbox outage".to_owned()));
            }
            match sandbox.keys.get(key) {
                Some((first, result)) if *first == fingerprint => (result.clone(), false),
                Some(_) => (
                    Err(ProviderError::Rejected(format!(
                        "idempotency_error: key `{key}` was used with other parameters"
                    ))),
                    false,
                ),
                None => {
                    let result = operation(&mut sandbox);
                    // Like Stripe, a result is kept whether it is a success or a decline.
                    sandbox
                        .keys
                        .insert(key.to_owned(), (fingerprint.clone(), result.clone()));
                    (result, true)
                }
            }
        };
        if fresh && let Some((db, _)) = &self.store {
            let created = result.as_ref().ok().filter(|id| id.starts_with("pi_"));
            let touched = payment.or(created.map(String::as_str));
            if let Err(err) = self.save(db, key, &fingerprint, &result, touched).await {
                // Not recorded: forget it here too, so the store stays the truth.
                let mut sandbox = self.lock();
                sandbox.keys.remove(key);
                if let Some(id) = touched {
                    sandbox.intents.remove(id);
                }
                return Err(unavailable(err));
            }
        }
        let mut sandbox = self.lock();
        if sandbox.lose_answers > 0 {
            sandbox.lose_answers -= 1;
            return Err(ProviderError::Unavailable("the answer was lost".to_owned()));
        }
        result
    }

    /// Reads `key`'s result and `payment`'s intent from the store, unless already in memory.
    async fn load(&self, db: &Database, key: &str, payment: Option<&str>) -> sqlx::Result<()> {
        if !self.lock().keys.contains_key(key)
            && let Some(row) = sqlx::query(
                "SELECT fingerprint, ok_value, error_kind, error_code, error_message \
                 FROM sandbox_keys WHERE idempotency_key = $1",
            )
            .bind(key)
            .fetch_optional(db.pool())
            .await?
        {
            let result = match row.try_get::<Option<String>, _>("ok_value")? {
                Some(value) => Ok(value),
                None => {
                    let code: String = row.try_get("error_code")?;
                    let message: String = row.try_get("error_message")?;
                    Err(match row.try_get::<String, _>("error_kind")?.as_str() {
                        "declined" => ProviderError::Declined { code, message },
                        _ => ProviderError::Rejected(message),
                    })
                }
            };
            let fingerprint: String = row.try_get("fingerprint")?;
            self.lock()
                .keys
                .insert(key.to_owned(), (fingerprint, result));
        }
        if let Some(id) = payment
            && !self.lock().intents.contains_key(id)
            && let Some(row) = sqlx::query(
                "SELECT authorized, captured, refunded, status FROM sandbox_intents WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db.pool())
            .await?
        {
            let status = match row.try_get::<String, _>("status")?.as_str() {
                "succeeded" => IntentStatus::Succeeded,
                "canceled" => IntentStatus::Canceled,
                _ => IntentStatus::RequiresCapture,
            };
            let intent = Intent {
                authorized: row.try_get("authorized")?,
                captured: row.try_get("captured")?,
                refunded: row.try_get("refunded")?,
                status,
            };
            self.lock().intents.insert(id.to_owned(), intent);
        }
        Ok(())
    }

    /// Records a key's result and the intent it touched, in one transaction.
    async fn save(
        &self,
        db: &Database,
        key: &str,
        fingerprint: &str,
        result: &Result<String, ProviderError>,
        payment: Option<&str>,
    ) -> sqlx::Result<()> {
        let intent = payment.and_then(|id| {
            let sandbox = self.lock();
            sandbox.intents.get(id).map(|intent| {
                let status = match intent.status {
                    IntentStatus::RequiresCapture => "requires_capture",
                    IntentStatus::Succeeded => "succeeded",
                    IntentStatus::Canceled => "canceled",
                };
                (
                    id,
                    intent.authorized,
                    intent.captured,
                    intent.refunded,
                    status,
                )
            })
        });
        let (ok_value, kind, code, message) = match result {
            Ok(value) => (Some(value.as_str()), None, None, None),
            Err(ProviderError::Declined { code, message }) => (
                None,
                Some("declined"),
                Some(code.as_str()),
                Some(message.as_str()),
            ),
            Err(ProviderError::Rejected(message)) => {
                (None, Some("rejected"), Some(""), Some(message.as_str()))
            }
            // Outages are not results: nothing to remember.
            Err(ProviderError::Unavailable(_)) => return Ok(()),
        };
        let mut tx = db.begin().await?;
        if let Some((id, authorized, captured, refunded, status)) = intent {
            sqlx::query(
                "INSERT INTO sandbox_intents (id, authorized, captured, refunded, status) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                 authorized = excluded.authorized, captured = excluded.captured, \
                 refunded = excluded.refunded, status = excluded.status",
            )
            .bind(id)
            .bind(authorized)
            .bind(captured)
            .bind(refunded)
            .bind(status)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO sandbox_keys \
             (idempotency_key, fingerprint, ok_value, error_kind, error_code, error_message) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key)
        .bind(fingerprint)
        .bind(ok_value)
        .bind(kind)
        .bind(code)
        .bind(message)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}

fn unavailable(err: sqlx::Error) -> ProviderError {
    ProviderError::Unavailable(format!("the sandbox's store: {err}"))
}

fn intent<'s>(sandbox: &'s mut Sandbox, id: &str) -> Result<&'s mut Intent, ProviderError> {
    sandbox
        .intents
        .get_mut(id)
        .ok_or_else(|| ProviderError::Rejected(format!("resource_missing: no payment `{id}`")))
}

impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn authorize<'a>(
        &'a self,
        request: AuthorizeRequest<'a>,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        let fingerprint = format!(
            "authorize:{}:{}:{}",
            request.amount, request.currency_code, request.payment_method
        );
        Box::pin(
            self.idempotent(request.idempotency_key, fingerprint, None, move |sandbox| {
                if request.amount <= 0 {
                    return Err(ProviderError::Rejected(
                        "amount must be positive".to_owned(),
                    ));
                }
                if let Some((code, message)) = decline_of(request.payment_method) {
                    return Err(ProviderError::Declined {
                        code: code.to_owned(),
                        message: message.to_owned(),
                    });
                }
                let id = format!("pi_sandbox_{}", uuid::Uuid::now_v7().simple());
                sandbox.intents.insert(
                    id.clone(),
                    Intent {
                        authorized: request.amount,
                        captured: 0,
                        refunded: 0,
                        status: IntentStatus::RequiresCapture,
                    },
                );
                sandbox.movements.push(Movement::Authorized {
                    payment: id.clone(),
                    amount: request.amount,
                });
                Ok(id)
            }),
        )
    }

    fn capture<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
        amount: i64,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        let fingerprint = format!("capture:{provider_payment_id}:{amount}");
        let payment = Some(provider_payment_id);
        let result = self.idempotent(idempotency_key, fingerprint, payment, move |sandbox| {
            let intent = intent(sandbox, provider_payment_id)?;
            if intent.status != IntentStatus::RequiresCapture {
                return Err(ProviderError::Rejected(
                    "payment_intent_unexpected_state: not awaiting capture".to_owned(),
                ));
            }
            if amount <= 0 || amount > intent.authorized {
                return Err(ProviderError::Rejected(
                    "amount_too_large: more than was authorized".to_owned(),
                ));
            }
            intent.captured = amount;
            intent.status = IntentStatus::Succeeded;
            sandbox.movements.push(Movement::Captured {
                payment: provider_payment_id.to_owned(),
                amount,
            });
            Ok(String::new())
        });
        Box::pin(async move { result.await.map(drop) })
    }

    fn void<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        let fingerprint = format!("void:{provider_payment_id}");
        let payment = Some(provider_payment_id);
        let result = self.idempotent(idempotency_key, fingerprint, payment, move |sandbox| {
            let intent = intent(sandbox, provider_payment_id)?;
            if intent.status != IntentStatus::RequiresCapture {
                return Err(ProviderError::Rejected(
                    "payment_intent_unexpected_state: only an uncaptured payment is canceled"
                        .to_owned(),
                ));
            }
            intent.status = IntentStatus::Canceled;
            sandbox.movements.push(Movement::Voided {
                payment: provider_payment_id.to_owned(),
            });
            Ok(String::new())
        });
        Box::pin(async move { result.await.map(drop) })
    }

    fn refund<'a>(
        &'a self,
        idempotency_key: &'a str,
        provider_payment_id: &'a str,
        amount: i64,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        let fingerprint = format!("refund:{provider_payment_id}:{amount}");
        let payment = Some(provider_payment_id);
        Box::pin(
            self.idempotent(idempotency_key, fingerprint, payment, move |sandbox| {
                let intent = intent(sandbox, provider_payment_id)?;
                if intent.status != IntentStatus::Succeeded {
                    return Err(ProviderError::Rejected(
                        "charge_not_captured: nothing was captured".to_owned(),
                    ));
                }
                if amount <= 0 || amount > intent.captured - intent.refunded {
                    return Err(ProviderError::Rejected(
                        "amount_too_large: more than is left to refund".to_owned(),
                    ));
                }
                intent.refunded += amount;
                sandbox.movements.push(Movement::Refunded {
                    payment: provider_payment_id.to_owned(),
                    amount,
                });
                Ok(format!("re_sandbox_{}", uuid::Uuid::now_v7().simple()))
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card<'a>(payment_method: &'a str, key: &'a str) -> AuthorizeRequest<'a> {
        AuthorizeRequest {
            idempotency_key: key,
            amount: 10_000,
            currency_code: "EUR",
            payment_method,
            booking_id: "b-1",
        }
    }

    #[tokio::test]
    async fn each_test_card_has_its_outcome() {
        let sandbox = SandboxProvider::new();
        assert!(
            sandbox
                .authorize(card("4242424242424242", "k1"))
                .await
                .is_ok()
        );
        assert!(sandbox.authorize(card("pm_card_visa", "k2")).await.is_ok());
        for (number, expected) in [
            ("4000000000000002", "card_declined"),
            ("4000000000009995", "insufficient_funds"),
            ("4000000000000119", "processing_error"),
            ("4000002500003155", "authentication_required"),
        ] {
            match sandbox.authorize(card(number, number)).await {
                Err(ProviderError::Declined { code, .. }) => assert_eq!(code, expected),
                other => panic!("{number}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_repeated_key_replays_the_first_result_and_moves_money_once() {
        let sandbox = SandboxProvider::new();
        let id = sandbox
            .authorize(card("4242424242424242", "a"))
            .await
            .expect("authorized");
        let again = sandbox
            .authorize(card("4242424242424242", "a"))
            .await
            .expect("replayed");
        assert_eq!(id, again);

        sandbox.lose_next_answers(1);
        assert!(matches!(
            sandbox.capture("c", &id, 4_000).await,
            Err(ProviderError::Unavailable(_))
        ));
        sandbox.capture("c", &id, 4_000).await.expect("replayed");
        assert!(matches!(
            sandbox.capture("c", &id, 5_000).await,
            Err(ProviderError::Rejected(_))
        ));
        assert_eq!(
            sandbox.movements(),
            vec![
                Movement::Authorized {
                    payment: id.clone(),
                    amount: 10_000
                },
                Movement::Captured {
                    payment: id.clone(),
                    amount: 4_000
                },
            ]
        );
        assert!(matches!(
            sandbox.refund("r", &id, 4_001).await,
            Err(ProviderError::Rejected(_))
        ));
        assert!(matches!(
            sandbox.void("v", &id).await,
            Err(ProviderError::Rejected(_))
        ));
    }

    #[tokio::test]
    async fn a_durable_sandbox_keeps_every_one_of_many_concurrent_calls_across_a_restart() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("sandbox.db");
        let open = || async {
            let db = Database::open_sqlite_file(&path).await.expect("the store");
            SandboxProvider::durable(db).await.expect("migrated")
        };
        let sandbox = open().await;
        let keys: Vec<String> = (0..24).map(|n| format!("booking-{n}")).collect();
        let ids = futures::future::try_join_all(
            keys.iter()
                .map(|key| sandbox.authorize(card("4242424242424242", key))),
        )
        .await
        .expect("every authorization");
        // Each payment captured and then partly refunded, all payments at once.
        futures::future::try_join_all(ids.iter().map(|id| {
            let sandbox = &sandbox;
            async move {
                sandbox.capture(&format!("{id}:capture"), id, 6_000).await?;
                sandbox.refund(&format!("{id}:refund"), id, 1_000).await
            }
        }))
        .await
        .expect("every capture and refund");
        drop(sandbox);

        let restarted = open().await;
        for id in &ids {
            assert!(
                matches!(
                    restarted.refund(&format!("{id}:more"), id, 5_001).await,
                    Err(ProviderError::Rejected(_))
                ),
                "{id}: the capture and the refund were both kept, so 5,000 are left to refund"
            );
            restarted
                .refund(&format!("{id}:rest"), id, 5_000)
                .await
                .expect("the rest of the capture");
        }
    }

    #[tokio::test]
    async fn a_durable_sandbox_remembers_its_payments_and_keys_across_a_restart() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("sandbox.db");
        let open = || async {
            let db = Database::open_sqlite_file(&path).await.expect("the store");
            SandboxProvider::durable(db).await.expect("migrated")
        };
        let sandbox = open().await;
        let id = sandbox
            .authorize(card("4242424242424242", "a"))
            .await
            .expect("authorized");
        let declined = sandbox.authorize(card("4000000000000002", "d")).await;
        drop(sandbox);

        let restarted = open().await;
        assert_eq!(
            restarted.authorize(card("4242424242424242", "a")).await,
            Ok(id.clone()),
            "the key's first result, not a second authorization"
        );
        assert_eq!(
            restarted.authorize(card("4000000000000002", "d")).await,
            declined
        );
        restarted
            .capture("c", &id, 4_000)
            .await
            .expect("an authorization from before the restart is captured");
        drop(restarted);

        let again = open().await;
        assert!(
            matches!(again.void("v", &id).await, Err(ProviderError::Rejected(_))),
            "the capture was remembered too"
        );
        assert!(again.movements().is_empty(), "replays move no money");
    }
}
