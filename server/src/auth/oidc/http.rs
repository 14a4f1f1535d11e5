//! openidconnect's HTTP client on our reqwest 0.13 (its own `reqwest` feature pins reqwest 0.12, which
//! would add a second HTTP stack). Redirects are not followed: the token endpoint must answer itself.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Time a request to the provider may take.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read from the provider (discovery, JWKS, token).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Why a request to the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderHttpError {
    #[error("building the request: {0}")]
    Request(String),
    #[error("the provider is unreachable: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error("the provider's answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
}

/// A reqwest client for the provider.
#[derive(Clone)]
pub struct ProviderHttp {
    client: reqwest::Client,
}

impl ProviderHttp {
    /// # Errors
    /// The TLS backend cannot start.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()?;
        Ok(Self { client })
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ProviderHttpError> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let mut response = self
            .client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(ProviderHttpError::Unreachable)?;
        let mut builder = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(ProviderHttpError::Unreachable)?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ProviderHttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body)
            .map_err(|e| ProviderHttpError::Request(e.to_string()))
    }
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = ProviderHttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
