//! The HTTP server under the tests' stubs of outside APIs (Stripe's,
//! Cloudflare's): each connection on its own task, on a runtime of its own
//! thread, so that a stub outlives any one test's runtime.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::future::Future;

/// A request's whole body (empty if it cannot be read).
pub async fn body(req: Request<Incoming>) -> Bytes {
    use http_body_util::BodyExt;
    req.into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}

/// Serves `listener` with `answer`; an answer of `None` drops the connection
/// without a response, as a timeout would.
pub fn serve_in_background<A, F>(listener: std::net::TcpListener, answer: A)
where
    A: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Option<Response<Full<Bytes>>>> + Send + 'static,
{
    listener.set_nonblocking(true).expect("non-blocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let answer = answer.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let reply = answer(req);
                        async move {
                            reply
                                .await
                                .ok_or_else(|| std::io::Error::other("answer lost"))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
}
