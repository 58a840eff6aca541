//! The vocabularies of the categorical columns: the posture types whose
//! `label()` the store writes, and the way back from a label to the value.
//!
//! The labels are defined once, by the posture types' `label()` methods; a
//! reader turns a column's text back into the type with [`Label::from_label`],
//! which searches those same labels. So a reader never compares a status
//! column with a string literal of its own, and a value outside the
//! vocabulary (a newer writer, a damaged file) is noticed instead of counted
//! as nothing.
//!
//! | column | type |
//! | --- | --- |
//! | `resolution` | [`Resolution`] |
//! | `mx_status` | [`MxStatus`] |
//! | `spf_status`, `dmarc_status`, `mta_sts_status`, `tlsrpt_status`, `dane_status` | [`Status`] |
//! | `spf_all` | [`AllQualifier`] |
//! | `dmarc_p`, `dmarc_sp`, `dmarc_np` | [`Policy`] |
//! | `dnssec_status` | [`DnssecStatus`] |
//! | `bimi_status` | [`BimiStatus`] |
//! | `dkim_status` | [`DkimStatus`] |

pub use mailcensus_posture::bimi::BimiStatus;
pub use mailcensus_posture::dkim::DkimStatus;
pub use mailcensus_posture::dmarc::Policy;
pub use mailcensus_posture::dnssec::DnssecStatus;
pub use mailcensus_posture::mx::MxStatus;
pub use mailcensus_posture::spf::AllQualifier;
pub use mailcensus_posture::{Resolution, Status};

/// A closed vocabulary of labels, one per value.
pub trait Label: Copy + Sized + 'static {
    /// Every value, in the order of the type's declaration.
    const ALL: &'static [Self];

    /// The label the store writes.
    fn to_label(self) -> &'static str;

    /// The value whose label is `label`; `None` outside the vocabulary.
    fn from_label(label: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.to_label() == label)
    }
}

/// Implements [`Label`] over the type's own `label()`. The match in the
/// anonymous const fails to compile when the type gains a value that `ALL`
/// does not list, so `from_label` always knows every label.
macro_rules! vocabulary {
    ($ty:ident: $($value:ident),+ $(,)?) => {
        impl Label for $ty {
            const ALL: &'static [Self] = &[$($ty::$value),+];

            fn to_label(self) -> &'static str {
                self.label()
            }
        }

        const _: () = {
            #[allow(dead_code)]
            fn every_value_is_listed(v: $ty) {
                match v {
                    $($ty::$value)|+ => {}
                }
            }
        };
    };
}

vocabulary!(Resolution: Ok, NxDomain, Error);
vocabulary!(Status: Valid, Invalid, Absent, Error);
vocabulary!(MxStatus: Present, NullMx, Invalid, Absent, Error);
vocabulary!(AllQualifier: Fail, SoftFail, Neutral, Pass);
vocabulary!(Policy: None, Quarantine, Reject);
vocabulary!(DnssecStatus: Secure, Insecure, Bogus, Error);
vocabulary!(BimiStatus: Valid, Declined, Invalid, Absent, Error);
vocabulary!(DkimStatus: Likely, Absent, Unknown, Error);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Label + PartialEq + std::fmt::Debug>() {
        let mut labels: Vec<&str> = T::ALL.iter().map(|v| v.to_label()).collect();
        for v in T::ALL {
            assert_eq!(T::from_label(v.to_label()), Some(*v), "{v:?}");
        }
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), T::ALL.len(), "labels must be distinct");
        assert_eq!(T::from_label(""), None);
        assert_eq!(T::from_label("VALID"), None, "labels are exact");
    }

    #[test]
    fn every_label_reads_back_as_its_value() {
        round_trips::<Resolution>();
        round_trips::<Status>();
        round_trips::<MxStatus>();
        round_trips::<AllQualifier>();
        round_trips::<Policy>();
        round_trips::<DnssecStatus>();
        round_trips::<BimiStatus>();
        round_trips::<DkimStatus>();
    }

    #[test]
    fn new_vocabulary_values_are_read() {
        // Schema version 2: `dkim_status` gains `unknown`.
        assert_eq!(DkimStatus::from_label("unknown"), Some(DkimStatus::Unknown));
        assert_eq!(MxStatus::from_label("null_mx"), Some(MxStatus::NullMx));
    }
}
