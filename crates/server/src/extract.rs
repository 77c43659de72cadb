//! The request extractors of every handler: a JSON body ([`Json`]), a query string
//! ([`Query`]), a raw body ([`RawBody`]) and a multipart form ([`Multipart`]). Each
//! refuses bad input with an [`ApiError`] that says what was wrong: 400 for a
//! malformed body or query, 413 for a body over the limit, 415 for a body of the
//! wrong content type.

use axum::body::Bytes;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};

/// The answer to a body over the server's limit (see `DefaultBodyLimit` in the router).
fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the request body is larger than {} MiB",
        cloud_torrent_engine::MAX_TORRENT_BYTES / (1024 * 1024)
    ))
}

/// The request's media type without parameters, lowercased; empty when absent.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The whole body as bytes, whatever its content type (.torrent uploads and the
/// legacy endpoints).
#[derive(Debug)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
                }
            })
    }
}

/// A body of type `application/json` (or `application/*+json`) read into `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> Json<T> {
    /// Reads `T` from a JSON body, saying whether it was empty, not JSON, or JSON of
    /// the wrong shape.
    fn parse(body: &[u8]) -> ApiResult<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::BadRequest(
                "the request body is empty; expected a JSON object".into(),
            ));
        }
        // serde also reads a struct from an array of its fields in order; every
        // body of this API is an object.
        if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return Err(ApiError::BadRequest(
                "invalid JSON body: expected a JSON object, not an array".into(),
            ));
        }
        serde_json::from_slice(body).map(Json).map_err(|e| {
            let what = match e.classify() {
                serde_json::error::Category::Data => "wrong fields or types",
                _ => "not well-formed JSON",
            };
            let detail = culprit_field::<T>(body).unwrap_or(e.to_string());
            ApiError::BadRequest(format!("invalid JSON body ({what}): {detail}"))
        })
    }
}

/// The first field of a JSON object that `T` refuses on its own, with why: serde's
/// message gives a line and column but not the field's name.
fn culprit_field<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let serde_json::Value::Object(fields) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    fields.into_iter().find_map(|(key, value)| {
        let alone = serde_json::Value::Object([(key.clone(), value)].into_iter().collect());
        serde_json::from_value::<T>(alone)
            .err()
            .filter(|e| !e.to_string().starts_with("missing field"))
            .map(|e| format!("{key}: {e}"))
    })
}

/// Refuses a body that is not declared as JSON.
fn require_json(headers: &HeaderMap) -> ApiResult<()> {
    let media_type = content_type(headers);
    let is_json = media_type == "application/json"
        || media_type.starts_with("application/") && media_type.ends_with("+json");
    if media_type.is_empty() {
        return Err(ApiError::UnsupportedMediaType(
            "missing Content-Type; send application/json".into(),
        ));
    }
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(format!(
            "unsupported Content-Type {media_type:?}; send application/json"
        )));
    }
    Ok(())
}

impl<T: DeserializeOwned> Json<T> {
    /// Reads a JSON body of at most `limit` bytes, for a route that takes much less
    /// than the server's limit (the login).
    pub async fn read_at_most(req: Request, limit: usize) -> ApiResult<Self> {
        require_json(req.headers())?;
        let body = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| {
                ApiError::PayloadTooLarge(format!(
                    "the request body is larger than {} KiB",
                    limit / 1024
                ))
            })?;
        Self::parse(&body)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json(req.headers())?;
        let RawBody(body) = RawBody::from_request(req, state).await?;
        Self::parse(&body)
    }
}

/// A JSON body like [`Json`], or no body at all for `T::default()`.
#[derive(Debug)]
pub struct JsonOrNothing<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for JsonOrNothing<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let RawBody(body) = RawBody::from_request(req, state).await?;
        if body.is_empty() {
            return Ok(JsonOrNothing(T::default()));
        }
        require_json(&headers)?;
        Json::parse(&body).map(|Json(value)| JsonOrNothing(value))
    }
}

/// The query string read into `T` (an absent query reads as an empty one).
#[derive(Debug)]
pub struct Query<T>(pub T);

/// For an `Option<Option<T>>` field with `#[serde(default, deserialize_with = "present")]`:
/// absent is `None`, `null` is `Some(None)` (e.g. "follow the global value again"),
/// a value is `Some(Some(value))`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Reads an optional whole number that fits an `i64`, written as an integer, as a
/// number with no fraction (`3.0`: JSON Schema allows it), or as text (a query
/// string or form field).
struct WholeVisitor;

impl<'de> serde::de::Visitor<'de> for WholeVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a whole number")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Some(n))
    }
    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
        i64::try_from(n)
            .map(Some)
            .map_err(|_| E::custom(format!("{n} is out of range")))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
        // Integers in range come as i64 or u64: a float at ±2^63 was an integer out of
        // range (JSON without arbitrary precision rounds it there).
        if !n.is_finite() || n.fract() != 0.0 || n >= i64::MAX as f64 || n <= i64::MIN as f64 {
            return Err(E::custom(format!("{n} is not a whole number in range")));
        }
        Ok(Some(n as i64))
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        match text.trim().parse::<i64>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => match text.trim().parse::<f64>() {
                Ok(n) => self.visit_f64(n),
                Err(_) => Err(E::custom(format!("{text:?} is not a whole number"))),
            },
        }
    }
}

/// For an `Option<i64>` field: a whole number (see [`WholeVisitor`]).
pub fn whole_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_option(WholeVisitor)
}

/// For an `Option<Option<i64>>` field read with [`present`]'s rule: a whole number,
/// also written as `3.0`.
pub fn present_whole_i64<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<i64>>, D::Error> {
    whole_i64(d).map(Some)
}

/// For an `Option<u64>` field: a whole number from 0, also written as `3.0`.
pub fn whole_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    whole_i64(d)?
        .map(|n| u64::try_from(n).map_err(|_| serde::de::Error::custom(format!("{n} is below 0"))))
        .transpose()
}

impl<T: DeserializeOwned> Query<T> {
    /// Reads `T` from the query of `uri`.
    pub fn from_uri(uri: &Uri) -> ApiResult<Self> {
        from_urlencoded(uri.query().unwrap_or(""), "query string").map(Query)
    }
}

/// Reads `T` from `application/x-www-form-urlencoded` text (`what` names it in
/// errors). A value that does not fit its field is reported with the field's name,
/// which serde's own message leaves out.
pub fn from_urlencoded<T: DeserializeOwned>(text: &str, what: &str) -> ApiResult<T> {
    serde_urlencoded::from_str(text).map_err(|e| {
        let culprit = url::form_urlencoded::parse(text.as_bytes()).find_map(|(key, value)| {
            let alone = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(&key, &value)
                .finish();
            serde_urlencoded::from_str::<T>(&alone)
                .err()
                .filter(|e| !e.to_string().starts_with("missing field"))
                .map(|e| format!("{key}={value:?}: {e}"))
        });
        ApiError::BadRequest(format!(
            "invalid {what}: {}",
            culprit.unwrap_or(e.to_string())
        ))
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::from_uri(&parts.uri)
    }
}

/// A `multipart/form-data` body, read field by field.
pub struct Multipart(axum::extract::Multipart);

impl Multipart {
    /// The next field, or `None` after the last one.
    pub async fn next_field(&mut self) -> ApiResult<Option<Field<'_>>> {
        self.0.next_field().await.map_err(multipart_error)
    }
}

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(|e| ApiError::BadRequest(format!("invalid multipart body: {}", e.body_text())))
    }
}

/// The error of reading a multipart field: 413 past the body limit, else 400.
pub fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::BadRequest(format!("invalid multipart body: {}", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Selected {
        selected: Vec<usize>,
    }

    async fn json(content_type: Option<&str>, body: &'static str) -> ApiResult<Selected> {
        let mut req = Request::builder().method("POST").uri("/");
        if let Some(c) = content_type {
            req = req.header(header::CONTENT_TYPE, c);
        }
        let req = req.body(Body::from(body)).expect("a valid request");
        Json::<Selected>::from_request(req, &()).await.map(|j| j.0)
    }

    fn refused(result: ApiResult<Selected>) -> (StatusCode, String) {
        let e = result.expect_err("refused");
        (e.status(), e.to_string())
    }

    #[tokio::test]
    async fn json_bodies_are_read_or_refused_saying_why() {
        let ok = json(
            Some("application/json; charset=utf-8"),
            r#"{"selected":[1]}"#,
        )
        .await;
        assert_eq!(ok.expect("accepted").selected, vec![1]);
        let cases = [
            (
                Some("application/json"),
                " ",
                400,
                "the request body is empty",
            ),
            (
                Some("application/json"),
                "{not",
                400,
                "not well-formed JSON",
            ),
            (
                Some("application/json"),
                r#"{"selected":"all"}"#,
                400,
                "wrong fields or types",
            ),
            (
                Some("application/json"),
                r#"{"other":1}"#,
                400,
                "unknown field",
            ),
            (None, r#"{"selected":[1]}"#, 415, "missing Content-Type"),
            (
                Some("text/html"),
                r#"{"selected":[1]}"#,
                415,
                "send application/json",
            ),
        ];
        for (content_type, body, status, words) in cases {
            let (got, message) = refused(json(content_type, body).await);
            assert_eq!(got.as_u16(), status, "{body}: {message}");
            assert!(message.contains(words), "{body}: {message}");
        }
    }

    #[test]
    fn bad_queries_are_400_naming_the_problem() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Page {
            page: Option<u32>,
        }
        let uri: Uri = "/x?page=2".parse().expect("a URI");
        assert_eq!(Query::<Page>::from_uri(&uri).expect("read").0.page, Some(2));
        let uri: Uri = "/x".parse().expect("a URI");
        assert_eq!(Query::<Page>::from_uri(&uri).expect("read").0.page, None);
        for bad in ["/x?page=two", "/x?bogus=1"] {
            let uri: Uri = bad.parse().expect("a URI");
            let e = Query::<Page>::from_uri(&uri).expect_err("refused");
            assert_eq!(e.status(), StatusCode::BAD_REQUEST);
            assert!(e.to_string().starts_with("invalid query string: "), "{e}");
        }
    }

    #[tokio::test]
    async fn a_body_over_a_routes_limit_is_413() {
        // The router's own limit is checked end to end by the bad-input tests.
        let req = Request::builder()
            .uri("/")
            .header("content-type", "application/json")
            .body(Body::from(vec![b' '; 4096]))
            .expect("a valid request");
        let e = Json::<serde_json::Value>::read_at_most(req, 1024)
            .await
            .expect_err("refused");
        assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(e.to_string(), "the request body is larger than 1 KiB");
    }

    #[test]
    fn whole_numbers_are_read_exactly_from_json_and_text() {
        #[derive(serde::Deserialize, Debug)]
        struct W {
            #[serde(default, deserialize_with = "super::whole_i64")]
            n: Option<i64>,
        }
        let json = |text: &str| serde_json::from_str::<W>(text).map(|w| w.n);
        assert_eq!(json(r#"{"n": 3}"#).unwrap(), Some(3));
        assert_eq!(json(r#"{"n": -3.0}"#).unwrap(), Some(-3));
        assert_eq!(json(r#"{"n": null}"#).unwrap(), None);
        assert_eq!(json("{}").unwrap(), None);
        assert_eq!(
            json(r#"{"n": -9223372036854775808}"#).unwrap(),
            Some(i64::MIN)
        );
        for bad in [
            r#"{"n": 3.5}"#,
            r#"{"n": 9223372036854775808}"#,
            r#"{"n": -9223372036854775809}"#,
            r#"{"n": "x"}"#,
        ] {
            assert!(json(bad).is_err(), "{bad}");
        }
        let text = |q: &str| serde_urlencoded::from_str::<W>(q).map(|w| w.n);
        assert_eq!(text("n=5").unwrap(), Some(5));
        assert_eq!(text("n=-1").unwrap(), Some(-1));
        assert!(text("n=1.5").is_err() && text("n=x").is_err());
    }
}
