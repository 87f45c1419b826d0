//! Tolerant JSON field types for platform items, so one odd item (a `null`
//! where a string is usual, a number sent as a string, an object where a
//! count should be) is read as "absent" instead of failing the whole page,
//! and so parsing stays cheap: strings are borrowed from the response body
//! unless they contain escapes, unknown fields are skipped without being
//! built, and no `serde_json::Value` tree is made.
//!
//! | type | keeps | anything else |
//! |---|---|---|
//! | [`Str`] | a string (borrowed when possible); an integer, as its decimal text (ids) | `None` |
//! | [`Num`] | a number, or a string holding one (Reddit's `"95.0"`) | `None` |
//! | [`Obj<T>`] | an object, read as `T` | `None` |
//! | [`Seq<T>`] | an array, each element read as `T` | empty |
//!
//! A `T` inside [`Obj`] must itself be lenient all the way down (every
//! field one of these types, `#[serde(default)]` on the struct), because an
//! error half-way through an object cannot be recovered from. The one thing
//! that still fails a page is a JSON syntax error, or a duplicate key.
//!
//! Also here: [`parse_time`], the timestamp reader every platform shares.
//!
//! Tests: at the bottom of this file.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string field; see the module doc.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Str<'a>(pub Option<Cow<'a, str>>);

/// A number field; see the module doc.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Num(pub Option<f64>);

/// An object field read as `T`; see the module doc.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub Option<T>);

/// An array field, each element read as `T`; see the module doc.
#[derive(Debug, Clone, PartialEq)]
pub struct Seq<T>(pub Vec<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

impl<T> Default for Seq<T> {
    fn default() -> Self {
        Seq(Vec::new())
    }
}

impl<'a> Str<'a> {
    /// The string, trimmed, when present and not blank.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    /// The string exactly as sent (possibly blank).
    pub fn raw(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The string as a timestamp (see [`parse_time`]).
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.get().and_then(parse_time)
    }
}

impl Num {
    /// As a count: negative values are 0, fractions are dropped, huge
    /// values saturate.
    pub fn count(&self) -> Option<u64> {
        self.0.map(|f| f.max(0.0) as u64)
    }
}

impl<T> Obj<T> {
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

/// An RFC 3339 timestamp (any fraction, `Z` or an offset), or the same
/// without a zone (taken as UTC; some clients write that).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc())
}

/// Reads and throws away the rest of a map.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Reads and throws away the rest of a sequence.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The visitor methods shared by every lenient type: each JSON type not
/// handled by the type itself is consumed and becomes `$none`.
macro_rules! ignore_other_types {
    (@one bool, $none:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one unit, $none:expr) => {
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> { Ok($none) }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one str, $none:expr) => {
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one num, $none:expr) => {
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok($none) }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok($none) }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one float, $none:expr) => {
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok($none) }
    };
    (@one map, $none:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map)?;
            Ok($none)
        }
    };
    (@one seq, $none:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq)?;
            Ok($none)
        }
    };
    ($none:expr; $($skip:ident),*) => {
        $(ignore_other_types!(@one $skip, $none);)*
    };
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Owned(v))))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            ignore_other_types!(Str(None); bool, unit, float, map, seq);
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Num(Some(v as f64)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Num(v.is_finite().then_some(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Num(v.trim().parse::<f64>().ok().filter(|f| f.is_finite())))
            }
            ignore_other_types!(Num(None); bool, unit, map, seq);
        }
        d.deserialize_any(V)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
            }
            ignore_other_types!(Obj(None); bool, unit, str, num, seq);
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Seq<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Seq<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(Seq)
            }
            ignore_other_types!(Seq(Vec::new()); bool, unit, str, num, map);
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Item<'a> {
        #[serde(borrow)]
        id: Str<'a>,
        n: Num,
        #[serde(borrow)]
        inner: Obj<Inner<'a>>,
        #[serde(borrow)]
        tags: Seq<Str<'a>>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Inner<'a> {
        #[serde(borrow)]
        name: Str<'a>,
    }

    fn items(json: &str) -> Vec<Obj<Item<'_>>> {
        serde_json::from_str(json).expect("lenient parse")
    }

    #[test]
    fn wrong_types_become_absent_and_the_rest_is_read() {
        let v = items(
            r#"[{"id": 12, "n": "95.0", "inner": {"name": "a\u00e9"}, "tags": ["x", 1, null, {"y": [1]}]},
               {"id": {"nested": [1, {"deep": true}]}, "n": [1, 2], "inner": "oops", "tags": {"k": 1}, "extra": 5},
               null, 3, "str", [1], {"id": null, "n": null, "inner": null, "tags": null},
               {"id": "borrowed", "n": 1.5e300, "unknown": {"a": [true]}}]"#,
        );
        assert_eq!(v.len(), 8);
        let a = v[0].get().unwrap();
        assert_eq!((a.id.get(), a.n.count()), (Some("12"), Some(95)));
        assert_eq!(a.inner.get().unwrap().name.get(), Some("aé"));
        let tags: Vec<_> = a.tags.0.iter().map(|t| t.get()).collect();
        assert_eq!(tags, [Some("x"), Some("1"), None, None]);
        let b = v[1].get().unwrap();
        assert_eq!((b.id.get(), b.n.0, b.inner.get().is_none(), b.tags.0.len()), (None, None, true, 0));
        assert!(v[2..6].iter().all(|o| o.get().is_none()));
        let e = v[6].get().unwrap();
        assert_eq!((e.id.get(), e.n.0), (None, None));
        let f = v[7].get().unwrap();
        assert!(matches!(f.id.0, Some(Cow::Borrowed("borrowed"))), "unescaped strings are borrowed");
        assert_eq!(f.n.count(), Some(u64::MAX), "huge counts saturate");
    }

    #[test]
    fn counts_clamp_and_blank_strings_are_absent() {
        assert_eq!(Num(Some(-3.0)).count(), Some(0));
        assert_eq!(Num(Some(2.9)).count(), Some(2));
        assert_eq!(Str(Some("  ".into())).get(), None);
        assert_eq!(Str(Some("  ".into())).raw(), Some("  "));
        let v = items(r#"[{"n": "NaN"}, {"n": "1e999"}, {"n": true}]"#);
        assert!(v.iter().all(|o| o.get().unwrap().n.0.is_none()));
    }

    #[test]
    fn syntax_errors_still_fail() {
        assert!(serde_json::from_str::<Vec<Obj<Item>>>(r#"[{"id": "1""#).is_err());
    }

    #[test]
    fn timestamps_in_every_shape_platforms_send() {
        let t = |s| parse_time(s).map(|t| t.timestamp_millis());
        let base = Utc.with_ymd_and_hms(2025, 5, 19, 17, 10, 9).unwrap().timestamp_millis();
        assert_eq!(t("2025-05-19T17:10:09Z"), Some(base));
        assert_eq!(t("2025-05-19T17:10:09.561Z"), Some(base + 561));
        assert_eq!(t("2025-05-19T17:10:09.561858Z"), Some(base + 561));
        assert_eq!(t("2025-05-19T19:10:09.5+02:00"), Some(base + 500));
        assert_eq!(t(" 2025-05-19T17:10:09.561 "), Some(base + 561), "no zone: UTC");
        assert_eq!(t("yesterday"), None);
        assert_eq!(t(""), None);
    }
}
