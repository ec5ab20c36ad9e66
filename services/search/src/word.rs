//! One query word over several text fields, as a scorer that is cheap to seek.
//!
//! tantivy's own forms of "this word in any of these fields" cost as much as the word is
//! common, whatever else the query asks: a boolean `Should` union buffers every posting of
//! every field in windows of 4,096 documents (walking them all as soon as the candidates are
//! denser than one per window), and a fuzzy term query first builds a bitset of every
//! document of every near term — the exact word included. Here the word's posting lists are
//! only *seeked*, to the candidates the rest of the query leaves, so a common word costs little
//! when the map area and the filters are selective.
//!
//! Exact matches are scored with BM25 per field; near matches (the word's one- or two-edit
//! neighbours in the field's dictionary, the word itself excluded) score a constant, below any
//! exact match.

use std::sync::Arc;

use tantivy::query::{
    ConstScorer, DfaWrapper, EnableScoring, Explanation, FuzzyTermQuery, Query, Scorer, TermQuery,
    Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// How a field takes part in a word's match.
#[derive(Debug, Clone, Copy)]
pub struct WordField {
    pub field: Field,
    /// Multiplies this field's exact-match score.
    pub boost: Score,
    /// Edits a near match may be away from the word; `None` for exact matches only.
    pub fuzzy_distance: Option<u8>,
}

/// A near match scores this fraction of its field's boost (and no BM25).
const NEAR_MATCH_FACTOR: Score = 0.1;

/// Documents with `word` (or, where allowed, a near form of it) in any of the fields.
#[derive(Debug, Clone)]
pub struct WordQuery {
    word: String,
    fields: Vec<WordField>,
}

impl WordQuery {
    pub fn new(word: impl Into<String>, fields: Vec<WordField>) -> Self {
        Self {
            word: word.into(),
            fields,
        }
    }
}

impl Query for WordQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let mut fields = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let term = Term::from_field_text(field.field, &self.word);
            let exact =
                TermQuery::new(term.clone(), IndexRecordOption::WithFreqs).weight(scoring)?;
            let near = match field.fuzzy_distance {
                Some(distance) => Some(Arc::new(
                    FuzzyTermQuery::new(term, distance, true).automaton()?,
                )),
                None => None,
            };
            fields.push(FieldWeight {
                field: *field,
                exact,
                near,
            });
        }
        Ok(Box::new(WordWeight {
            word: self.word.clone(),
            fields,
        }))
    }
}

struct FieldWeight {
    field: WordField,
    exact: Box<dyn Weight>,
    near: Option<Arc<DfaWrapper>>,
}

struct WordWeight {
    word: String,
    fields: Vec<FieldWeight>,
}

impl WordWeight {
    fn any_of(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<AnyOf> {
        let mut scorers: Vec<Box<dyn Scorer>> = Vec::new();
        for field in &self.fields {
            let exact = field.exact.scorer(reader, boost * field.field.boost)?;
            if exact.doc() != TERMINATED {
                scorers.push(exact);
            }
            let Some(automaton) = &field.near else {
                continue;
            };
            let near_score = boost * field.field.boost * NEAR_MATCH_FACTOR;
            let inverted_index = reader.inverted_index(field.field.field)?;
            let mut near_terms = inverted_index
                .terms()
                .search(automaton.as_ref())
                .into_stream()?;
            while near_terms.advance() {
                if near_terms.key() == self.word.as_bytes() {
                    continue;
                }
                let postings = inverted_index
                    .read_postings_from_terminfo(near_terms.value(), IndexRecordOption::Basic)?;
                if postings.doc() != TERMINATED {
                    scorers.push(Box::new(ConstScorer::new(postings, near_score)));
                }
            }
        }
        Ok(AnyOf::new(scorers))
    }
}

impl Weight for WordWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(self.any_of(reader, boost)?))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.any_of(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not contain `{}`",
                self.word
            )));
        }
        Ok(Explanation::new_with_string(
            format!("`{}` in title, place or description", self.word),
            scorer.score(),
        ))
    }
}

/// The union of a few scorers, positioned by seeking each rather than by buffering them: its
/// cost per step is a seek per scorer, however long their posting lists are. Its score is the
/// sum of the scorers on the current document.
pub struct AnyOf {
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
}

impl std::fmt::Debug for AnyOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyOf")
            .field("scorers", &self.scorers.len())
            .field("doc", &self.doc)
            .finish()
    }
}

impl AnyOf {
    pub fn new(scorers: Vec<Box<dyn Scorer>>) -> Self {
        let doc = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
        Self { scorers, doc }
    }

    fn settle(&mut self) -> DocId {
        self.doc = self
            .scorers
            .iter()
            .map(|s| s.doc())
            .min()
            .unwrap_or(TERMINATED);
        self.doc
    }
}

impl DocSet for AnyOf {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let current = self.doc;
        for scorer in &mut self.scorers {
            if scorer.doc() == current {
                scorer.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() < target {
                scorer.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .fold(0u32, |sum, s| sum.saturating_add(s.size_hint()))
    }

    fn cost(&self) -> u64 {
        self.scorers.iter().map(|s| s.cost()).sum()
    }
}

impl Scorer for AnyOf {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.scorers
            .iter_mut()
            .filter(|s| s.doc() == doc)
            .map(|s| s.score())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, IndexWriter, doc};

    use super::*;

    fn index() -> (Index, Field, Field) {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer(15_000_000).expect("a writer");
        for (t, b) in [
            ("sunny loft", "quiet street"),
            ("sunny flat", "near the sea"),
            ("dark cellar", "a sunny terrace"),
            ("sunni studio", "misspelt on purpose"),
            ("garden house", "nothing here"),
        ] {
            writer
                .add_document(doc!(title => t, body => b))
                .expect("a document");
        }
        writer.commit().expect("a commit");
        (index, title, body)
    }

    #[test]
    fn a_word_matches_exact_and_near_forms_in_any_field_exact_title_first() {
        let (index, title, body) = index();
        let searcher = index.reader().expect("a reader").searcher();
        let query = WordQuery::new(
            "sunny",
            vec![
                WordField {
                    field: title,
                    boost: 3.0,
                    fuzzy_distance: Some(1),
                },
                WordField {
                    field: body,
                    boost: 1.0,
                    fuzzy_distance: None,
                },
            ],
        );
        let top = searcher
            .search(&query, &TopDocs::with_limit(10).order_by_score())
            .expect("a search");
        let docs: Vec<u32> = top.iter().map(|(_, address)| address.doc_id).collect();
        assert_eq!(docs.len(), 4, "{docs:?}");
        // The two exact titles lead; the near title (constant, low) and the body match follow.
        let mut leaders = docs[..2].to_vec();
        leaders.sort_unstable();
        assert_eq!(leaders, vec![0, 1]);
        assert!(docs.contains(&2) && docs.contains(&3));
        assert!(!docs.contains(&4));
    }

    #[test]
    fn seeking_lands_on_the_next_document_holding_the_word() {
        let (index, title, _) = index();
        let searcher = index.reader().expect("a reader").searcher();
        let weight = WordQuery::new(
            "sunny",
            vec![WordField {
                field: title,
                boost: 1.0,
                fuzzy_distance: None,
            }],
        )
        .weight(EnableScoring::disabled_from_searcher(&searcher))
        .expect("a weight");
        let mut scorer = weight
            .scorer(searcher.segment_reader(0), 1.0)
            .expect("a scorer");
        assert_eq!(scorer.doc(), 0);
        assert_eq!(scorer.seek(1), 1);
        assert_eq!(scorer.seek(2), TERMINATED);
    }
}
