//! A service built on its first call.
//!
//! Reflection decodes and indexes every descriptor it is given: about a megabyte per server for
//! the whole contract set, twice (v1 and v1alpha), in each of the single binary's fourteen
//! servers. Few processes are ever asked, so it is built when one is.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tonic::server::NamedService;
use tonic_reflection::server::{Builder, v1, v1alpha};

/// Reflection v1 and v1alpha over what `configure` registers, each built on its first call.
/// Descriptors that do not decode are logged, and reflection then describes health alone.
pub fn lazy_reflection(
    configure: impl Fn() -> Builder<'static> + Clone + Send + Sync + 'static,
) -> (
    Lazy<v1::ServerReflectionServer<impl v1::ServerReflection>>,
    Lazy<v1alpha::ServerReflectionServer<impl v1alpha::ServerReflection>>,
) {
    let configure_v1 = configure.clone();
    let v1 = Lazy::new(move || or_health_only(&configure_v1, Builder::build_v1));
    let v1alpha = Lazy::new(move || or_health_only(&configure, Builder::build_v1alpha));
    (v1, v1alpha)
}

/// `build` over what `configure` registers, or over health alone (logged) when that does not
/// decode.
fn or_health_only<S>(
    configure: &impl Fn() -> Builder<'static>,
    build: impl Fn(Builder<'static>) -> Result<S, tonic_reflection::server::Error>,
) -> S {
    build(configure()).unwrap_or_else(|err| {
        tracing::error!("reflection: the descriptors do not decode: {err}");
        build(health_only()).expect("tonic-health's descriptors decode")
    })
}

fn health_only() -> Builder<'static> {
    Builder::configure().register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// `S`, built by `build` when first called and shared by the clones after that.
pub struct Lazy<S> {
    build: Arc<dyn Fn() -> S + Send + Sync>,
    built: Arc<OnceLock<S>>,
}

impl<S> Lazy<S> {
    pub fn new(build: impl Fn() -> S + Send + Sync + 'static) -> Self {
        Self {
            build: Arc::new(build),
            built: Arc::new(OnceLock::new()),
        }
    }
}

impl<S> std::fmt::Debug for Lazy<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lazy")
            .field("built", &self.built.get().is_some())
            .finish_non_exhaustive()
    }
}

impl<S> Clone for Lazy<S> {
    fn clone(&self) -> Self {
        Self {
            build: Arc::clone(&self.build),
            built: Arc::clone(&self.built),
        }
    }
}

impl<S: NamedService> NamedService for Lazy<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, R> tower::Service<R> for Lazy<S>
where
    S: tower::Service<R, Error = Infallible> + Clone,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = S::Future;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // tonic's generated servers are always ready; so is this one before it is built.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: R) -> S::Future {
        let mut service = self.built.get_or_init(|| (self.build)()).clone();
        service.call(request)
    }
}
