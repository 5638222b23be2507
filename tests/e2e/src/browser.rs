//! A headless Chromium driven over WebDriver (Debian's chromium + chromedriver).

use crate::PATIENCE;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// A chromedriver process and a browser session on it; both end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

/// Browser journeys run one at a time (hold this for the whole test): two
/// or three Chromiums per journey, in parallel, starve a 2-core machine and
/// page waits then time out. Per test, not per browser, since one journey
/// drives a seller's and a buyer's browser at once.
pub async fn one_journey_at_a_time() -> OwnedMutexGuard<()> {
    static SLOT: OnceLock<Arc<Mutex<()>>> = OnceLock::new();
    SLOT.get_or_init(Arc::default).clone().lock_owned().await
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Browser {
    pub async fn launch() -> Self {
        let port = free_port();
        let driver =
            Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver (installed by `make test`)");
        let profile =
            std::env::temp_dir().join(format!("ticketing-chromium-{}", uuid::Uuid::new_v4()));
        // Flags that keep Chromium quiet on a machine with no internet access.
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1200,900",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        // A page that stalls (a renderer starved on a busy machine) fails its
        // command after 30 s instead of chromedriver's 300, so that `text`
        // can look again rather than the whole journey hanging.
        let capabilities = json!({
            "timeouts": { "pageLoad": 30_000, "script": 30_000 },
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": args,
            }
        });
        let capabilities = capabilities.as_object().expect("an object").clone();
        // chromedriver takes a moment to listen: retry the session until it does.
        let client = crate::eventually("a browser session from chromedriver", || async {
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
                .inspect_err(|e| eprintln!("no browser session yet: {e}"))
                .ok()
        })
        .await;
        Browser {
            client,
            driver,
            _profile: TempDir(profile),
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Clicks the element. A link or a submit button leads to a new page:
    /// the click waits until that page has replaced this one, since
    /// chromedriver may answer a click before the form's answer arrives (the
    /// next `text` would then read the old page). A click whose navigation
    /// outlasts the page-load timeout was still delivered.
    pub async fn click(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        let tag = element.tag_name().await.expect("a tag name");
        let kind = element.attr("type").await.expect("an attribute");
        let navigates = tag == "a" || kind.as_deref() == Some("submit");
        if navigates {
            self.client
                .execute("window.beforeTheClick = true;", vec![])
                .await
                .expect("mark the page");
        }
        if let Err(e) = element.click().await {
            assert!(e.to_string().contains("timeout"), "click {css}: {e}");
            eprintln!("click {css}: the page is still loading ({e})");
        }
        if navigates {
            self.wait_for_the_next_page(css).await;
        }
    }

    /// Waits until the page marked before a click is gone and its successor
    /// has loaded. Errors while the old page unloads count as "not yet".
    async fn wait_for_the_next_page(&self, css: &str) {
        let deadline = std::time::Instant::now() + 2 * PATIENCE;
        let check = "return window.beforeTheClick !== true && document.readyState === 'complete';";
        while self.client.execute(check, vec![]).await.ok() != Some(json!(true)) {
            assert!(
                std::time::Instant::now() < deadline,
                "clicking {css} never led to a new page"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The text of the first element matching `css`, waiting for it to appear.
    /// Any error counts as "not yet" until the time is up: a navigation that
    /// timed out in a starved renderer has usually finished a moment later.
    pub async fn text(&self, css: &str) -> String {
        let deadline = std::time::Instant::now() + 2 * PATIENCE;
        loop {
            let error = match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.text().await {
                    Ok(text) => return text,
                    Err(e) => e,
                },
                Err(e) => e,
            };
            if std::time::Instant::now() > deadline {
                panic!("{css} never appeared: {error}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Checks the page against the site's Content-Security-Policy: it holds
    /// no inline script or style and loads scripts and styles only from the
    /// site, and the browser enforces the policy (an inline script and a
    /// style attribute added now are blocked, each with a
    /// `securitypolicyviolation` event), so a page that needed inline code
    /// would be broken in these tests too.
    pub async fn assert_content_policy_holds(&self) {
        let url = self.client.current_url().await.expect("current URL");
        let found = self
            .client
            .execute(
                "const inline = document.querySelectorAll('script:not([src]), style, [style]');
                 const foreign = [...document.querySelectorAll('script[src], link[href]')]
                   .filter(e => new URL(e.src || e.href, location.href).origin !== location.origin);
                 return [...inline, ...foreign].map(e => e.outerHTML);",
                vec![],
            )
            .await
            .expect("a script run");
        assert_eq!(found, json!([]), "inline or foreign code on {url}");
        let probe = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const seen = [];
                 document.addEventListener('securitypolicyviolation', e => seen.push(e.effectiveDirective));
                 const script = document.createElement('script');
                 script.textContent = 'window.inlineScriptRan = true;';
                 document.body.appendChild(script);
                 const styled = document.createElement('span');
                 styled.setAttribute('style', 'color: red');
                 document.body.appendChild(styled);
                 const started = Date.now();
                 (function wait() {
                   if (seen.length >= 2 || Date.now() - started > 5000) {
                     script.remove(); styled.remove();
                     done({ seen: seen.sort(), ran: window.inlineScriptRan === true });
                   } else { setTimeout(wait, 20); }
                 })();",
                vec![],
            )
            .await
            .expect("a script run");
        assert_eq!(
            probe,
            json!({ "seen": ["script-src-elem", "style-src-attr"], "ran": false }),
            "the content policy is not enforced on {url}"
        );
    }

    pub async fn screenshot(&self, path: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(path, png);
        }
    }

    /// Signs a new user up through the form (the page under its content
    /// policy) and waits until the header names them; answers their email.
    pub async fn sign_up(&self, base: &str) -> String {
        let email = crate::unique_email();
        self.goto(&format!("{base}/auth/signup")).await;
        self.assert_content_policy_holds().await;
        self.fill("#email", &email).await;
        self.fill("#password", crate::PASSWORD).await;
        self.click("button[type=submit].primary").await;
        assert_eq!(self.text("[data-testid=signed-in-as]").await, email);
        email
    }

    /// An HTTP client with this browser's session: the same user in another
    /// tab (redirects are not followed, so a test sees each answer).
    pub async fn session_client(&self) -> crate::TestClient {
        let session = self
            .client
            .get_named_cookie("session")
            .await
            .expect("the browser's session cookie");
        let mut headers = reqwest::header::HeaderMap::new();
        let cookie = format!("session={}", session.value());
        headers.insert(
            reqwest::header::COOKIE,
            cookie.parse().expect("a header value"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        crate::TestClient {
            http,
            base: crate::base_url(),
        }
    }

    /// Resizes the window (a phone's width, for a screenshot).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
