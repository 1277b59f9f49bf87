//! A serialisable mirror of `eyeball_im::VectorDiff`, so that live lists cross process and IPC
//! boundaries as the same small changes the SDK produces, never as whole lists.

use eyeball_im::VectorDiff;
use serde::Serialize;

/// One change to a list held by a front end. Applying a batch in order to the list the front
/// end already has yields the core's list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ListDiff<T> {
    Append { values: Vec<T> },
    Clear,
    PushFront { value: T },
    PushBack { value: T },
    PopFront,
    PopBack,
    Insert { index: usize, value: T },
    Set { index: usize, value: T },
    Remove { index: usize },
    Truncate { length: usize },
    Reset { values: Vec<T> },
}

impl<T> ListDiff<T> {
    /// Re-encodes one SDK diff, converting each element with `convert`.
    pub(crate) async fn from_vector_diff<S, F, Fut>(diff: VectorDiff<S>, convert: F) -> Self
    where
        S: Clone,
        F: Fn(S) -> Fut,
        Fut: Future<Output = T>,
    {
        async fn all<S, T, F, Fut>(values: impl IntoIterator<Item = S>, convert: F) -> Vec<T>
        where
            F: Fn(S) -> Fut,
            Fut: Future<Output = T>,
        {
            let mut converted = Vec::new();
            for value in values {
                converted.push(convert(value).await);
            }
            converted
        }

        match diff {
            VectorDiff::Append { values } => Self::Append {
                values: all(values, convert).await,
            },
            VectorDiff::Clear => Self::Clear,
            VectorDiff::PushFront { value } => Self::PushFront {
                value: convert(value).await,
            },
            VectorDiff::PushBack { value } => Self::PushBack {
                value: convert(value).await,
            },
            VectorDiff::PopFront => Self::PopFront,
            VectorDiff::PopBack => Self::PopBack,
            VectorDiff::Insert { index, value } => Self::Insert {
                index,
                value: convert(value).await,
            },
            VectorDiff::Set { index, value } => Self::Set {
                index,
                value: convert(value).await,
            },
            VectorDiff::Remove { index } => Self::Remove { index },
            VectorDiff::Truncate { length } => Self::Truncate { length },
            VectorDiff::Reset { values } => Self::Reset {
                values: all(values, convert).await,
            },
        }
    }

    /// Applies this change to a local copy of the list (what every front end does).
    ///
    /// Returns `false`, leaving the list untouched, when the change does not fit the list: the
    /// caller then knows its copy diverged and must resubscribe.
    pub fn apply_to(self, list: &mut Vec<T>) -> bool {
        match self {
            Self::Append { values } => list.extend(values),
            Self::Clear => list.clear(),
            Self::PushFront { value } => list.insert(0, value),
            Self::PushBack { value } => list.push(value),
            Self::PopFront => {
                if list.is_empty() {
                    return false;
                }
                list.remove(0);
            }
            Self::PopBack => return list.pop().is_some(),
            Self::Insert { index, value } => {
                if index > list.len() {
                    return false;
                }
                list.insert(index, value);
            }
            Self::Set { index, value } => match list.get_mut(index) {
                Some(slot) => *slot = value,
                None => return false,
            },
            Self::Remove { index } => {
                if index >= list.len() {
                    return false;
                }
                list.remove(index);
            }
            Self::Truncate { length } => list.truncate(length),
            Self::Reset { values } => *list = values,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use eyeball_im::VectorDiff;

    use super::ListDiff;

    async fn double(value: i32) -> i32 {
        value * 2
    }

    #[tokio::test]
    async fn converts_every_element_of_a_reset() {
        let diff = VectorDiff::Reset {
            values: [1, 2, 3].into_iter().collect(),
        };
        let converted = ListDiff::from_vector_diff(diff, double).await;
        assert_eq!(
            converted,
            ListDiff::Reset {
                values: vec![2, 4, 6]
            }
        );
    }

    #[test]
    fn applying_diffs_rebuilds_the_list() {
        let mut list = vec![];
        for diff in [
            ListDiff::Reset {
                values: vec!["b", "c"],
            },
            ListDiff::PushFront { value: "a" },
            ListDiff::Insert {
                index: 3,
                value: "d",
            },
            ListDiff::Set {
                index: 1,
                value: "B",
            },
            ListDiff::Remove { index: 2 },
            ListDiff::PushBack { value: "e" },
            ListDiff::PopFront,
            ListDiff::Truncate { length: 2 },
        ] {
            assert!(diff.apply_to(&mut list));
        }
        assert_eq!(list, vec!["B", "d"]);
    }

    #[test]
    fn a_diff_that_does_not_fit_is_refused() {
        let mut list = vec![1];
        assert!(!ListDiff::Set { index: 4, value: 2 }.apply_to(&mut list));
        assert!(!ListDiff::<i32>::Remove { index: 1 }.apply_to(&mut list));
        assert_eq!(list, vec![1]);
    }
}
