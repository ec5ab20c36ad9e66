//! Events as recorded and as received.

use std::time::SystemTime;

use estospaces_proto::events_v1::EventEnvelope;
use prost::{Message, Name};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The topic a source service's events go to: `estospaces.<source>.v1`.
pub fn topic_for(source: &str) -> String {
    format!("estospaces.{source}.v1")
}

/// Where a consumer group's dead letters go: `estospaces.dlq.<group>`.
pub fn dead_letter_topic(consumer_group: &str) -> String {
    format!("estospaces.dlq.{consumer_group}")
}

/// An event about to be recorded in the outbox.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub(crate) event_type: String,
    pub(crate) aggregate_type: String,
    pub(crate) aggregate_id: String,
    pub(crate) payload: prost_types::Any,
    pub(crate) correlation_id: Option<String>,
    pub(crate) causation_id: Option<String>,
}

impl NewEvent {
    /// `event_type` says what happened (`property.listed`); the aggregate is the entity that
    /// changed; `payload` is the typed event message.
    pub fn new<P: Name>(
        event_type: impl Into<String>,
        aggregate_type: impl Into<String>,
        aggregate_id: impl Into<String>,
        payload: &P,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            aggregate_type: aggregate_type.into(),
            aggregate_id: aggregate_id.into(),
            payload: prost_types::Any {
                type_url: P::type_url(),
                value: payload.encode_to_vec(),
            },
            correlation_id: None,
            causation_id: None,
        }
    }

    /// Ties the event to a business flow; by default each event starts its own.
    /// The typed payload, packed.
    pub fn payload(&self) -> &prost_types::Any {
        &self.payload
    }

    pub fn correlated_with(mut self, correlation_id: impl Into<String>) -> Self {
        self.correlation_id = Some(correlation_id.into());
        self
    }

    /// Names the event or request that caused this one.
    pub fn caused_by(mut self, causation_id: impl Into<String>) -> Self {
        self.causation_id = Some(causation_id.into());
        self
    }

    /// Caused by `event`, in its flow: for events a consumer records while handling another.
    pub fn following(self, event: &Event) -> Self {
        let correlation = event.envelope.correlation_id.clone();
        self.correlated_with(correlation)
            .caused_by(event.envelope.event_id.clone())
    }

    /// The envelope, with a fresh UUIDv7, the current span's trace context and `sequence`.
    pub(crate) fn into_envelope(
        self,
        source: &str,
        sequence: i64,
        now: SystemTime,
    ) -> EventEnvelope {
        let event_id = uuid::Uuid::now_v7().to_string();
        let (traceparent, tracestate) = current_trace_context();
        EventEnvelope {
            correlation_id: self.correlation_id.unwrap_or_else(|| event_id.clone()),
            causation_id: self.causation_id.unwrap_or_default(),
            event_id,
            event_type: self.event_type,
            source: source.to_owned(),
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            aggregate_sequence: sequence,
            occurred_at: Some(prost_types::Timestamp::from(now)),
            traceparent,
            tracestate,
            payload: Some(self.payload),
        }
    }
}

/// The W3C `traceparent` and `tracestate` of the current span (empty without tracing).
fn current_trace_context() -> (String, String) {
    use opentelemetry::trace::TraceContextExt as _;
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    if !span_context.is_valid() {
        return (String::new(), String::new());
    }
    let traceparent = format!(
        "00-{}-{}-{:02x}",
        span_context.trace_id(),
        span_context.span_id(),
        span_context.trace_flags().to_u8()
    );
    (traceparent, span_context.trace_state().header())
}

/// Why a received event cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the message is not an EventEnvelope: {0}")]
    Envelope(#[from] prost::DecodeError),
    #[error("the envelope has no payload")]
    MissingPayload,
    #[error("the payload is a {actual}, not a {expected}")]
    WrongType { expected: String, actual: String },
}

/// An event as received by a consumer.
#[derive(Debug, Clone)]
pub struct Event {
    pub envelope: EventEnvelope,
}

impl Event {
    /// Decodes a message's bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(Self {
            envelope: EventEnvelope::decode(bytes)?,
        })
    }

    pub fn event_id(&self) -> &str {
        &self.envelope.event_id
    }

    pub fn event_type(&self) -> &str {
        &self.envelope.event_type
    }

    /// The flow the event belongs to: the first event's id, carried by every event it caused.
    pub fn correlation_id(&self) -> &str {
        &self.envelope.correlation_id
    }

    pub fn aggregate_id(&self) -> &str {
        &self.envelope.aggregate_id
    }

    /// Whether the payload is a `P`.
    pub fn is<P: Name>(&self) -> bool {
        self.envelope
            .payload
            .as_ref()
            .is_some_and(|any| any.type_url == P::type_url())
    }

    /// The typed payload.
    pub fn payload<P: Name + Default>(&self) -> Result<P, DecodeError> {
        let any = self
            .envelope
            .payload
            .as_ref()
            .ok_or(DecodeError::MissingPayload)?;
        if any.type_url != P::type_url() {
            return Err(DecodeError::WrongType {
                expected: P::full_name(),
                actual: any.type_url.clone(),
            });
        }
        Ok(P::decode(any.value.as_slice())?)
    }
}

#[cfg(test)]
mod tests {
    use estospaces_proto::events_v1::DeadLetter;

    use super::*;

    #[test]
    fn a_payload_round_trips_through_the_envelope_and_refuses_the_wrong_type() {
        let payload = DeadLetter {
            consumer_group: "g".to_owned(),
            ..DeadLetter::default()
        };
        let envelope = NewEvent::new("test.happened", "thing", "t-1", &payload).into_envelope(
            "test",
            1,
            SystemTime::now(),
        );
        let event = Event::decode(&envelope.encode_to_vec()).expect("decodes");

        assert!(event.is::<DeadLetter>());
        assert_eq!(event.payload::<DeadLetter>().expect("typed"), payload);
        assert!(event.payload::<EventEnvelope>().is_err());
        assert_eq!(event.envelope.correlation_id, event.envelope.event_id);
        assert_eq!(topic_for("property"), "estospaces.property.v1");
    }
}
