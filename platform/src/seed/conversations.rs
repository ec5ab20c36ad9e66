//! Demo conversations: a few guests ask about listings and their owners answer, so the inbox
//! and the live stream have something to show.

use anyhow::Context as _;
use estospaces_proto::messaging_v1::{
    self as messaging, messaging_service_client::MessagingServiceClient,
};
use tonic::transport::Channel;

use super::{LoggedIn, patiently};

/// A guest's question, the owner's answer and the guest's thanks.
const THREADS: [[&str; 3]; 4] = [
    [
        "Hi! Is it free in the second week of May, and is there parking nearby?",
        "Hello! Yes, those dates are free, and there is a public car park around the corner.",
        "Perfect, thank you. I will book this evening.",
    ],
    [
        "Hello, is the place quiet at night? I work early.",
        "It is: the bedroom faces the courtyard, away from the street.",
        "Great to hear, thanks!",
    ],
    [
        "Could we check in a little before three?",
        "Usually from one o'clock, if the cleaners are done. Ask me on the day.",
        "Thank you, that helps a lot.",
    ],
    [
        "Are pets allowed? We have a small, calm dog.",
        "Small dogs are welcome; please bring its blanket for the sofa.",
        "Wonderful, see you soon.",
    ],
];

/// Guest `index` asks the owner of `listing` a question and they talk it through. Fixed
/// request ids: seeding again finds the conversation and sends nothing twice.
pub async fn talk(
    channel: Channel,
    guest: &LoggedIn,
    owner: &LoggedIn,
    listing: &str,
    index: usize,
) -> anyhow::Result<()> {
    let client = MessagingServiceClient::new(channel);
    let thread = THREADS[index % THREADS.len()];
    let message = |n: usize| messaging::Message {
        text: thread[n].to_owned(),
        request_id: format!("seed-conversation-{index}-{n}"),
        ..Default::default()
    };
    let started = patiently(|| {
        let mut client = client.clone();
        async move {
            client
                .create_inquiry(guest.session.authorize(messaging::CreateInquiryRequest {
                    listing: listing.to_owned(),
                    message: Some(message(0)),
                }))
                .await
        }
    })
    .await
    .with_context(|| format!("asking about {listing}"))?
    .into_inner();
    let conversation = started
        .conversation
        .context("messaging answered without the conversation")?
        .name;
    for (n, sender) in [(1, owner), (2, guest)] {
        let conversation = conversation.clone();
        // Each reads what the other wrote before answering it.
        patiently(|| {
            let mut client = client.clone();
            let name = conversation.clone();
            async move {
                client
                    .mark_conversation_read(sender.session.authorize(
                        messaging::MarkConversationReadRequest {
                            name,
                            last_read_message: String::new(),
                        },
                    ))
                    .await
            }
        })
        .await
        .with_context(|| format!("reading {conversation}"))?;
        patiently(|| {
            let mut client = client.clone();
            let conversation = conversation.clone();
            async move {
                client
                    .send_message(sender.session.authorize(messaging::SendMessageRequest {
                        parent: conversation,
                        message: Some(message(n)),
                    }))
                    .await
            }
        })
        .await
        .with_context(|| format!("writing in {conversation}"))?;
    }
    Ok(())
}
