//! Building list queries (filter, search, sort, paging) whose text depends on the request.
//!
//! Only fixed column names chosen from enums reach the SQL text; every value from a request is
//! a bound parameter. Placeholders are `$n`, which SQLite and PostgreSQL both accept.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

/// One bound value.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    /// A byte string (ids).
    Bytes(Vec<u8>),
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

/// SQL text with its bound values, numbered as they are pushed.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    /// Starts with fixed text.
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            binds: Vec::new(),
        }
    }

    /// Appends fixed text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    /// The text.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// A query over the text with every value bound.
    pub(crate) fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for bind in &self.binds {
            query = match bind {
                Bind::Bytes(v) => query.bind(v.clone()),
                Bind::Text(v) => query.bind(v.clone()),
                Bind::Int(v) => query.bind(*v),
            };
        }
        query
    }
}

/// Keep rows whose user has attribute `key` equal to one of `values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeFilter {
    /// Attribute key.
    pub key: String,
    /// Accepted values (as text; a stored JSON string or a stored number/boolean matches).
    pub values: Vec<String>,
}

/// A sort key and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey<C> {
    /// The column.
    pub column: C,
    /// Descending rather than ascending.
    pub descending: bool,
}

/// What a list request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery<C> {
    /// Attribute filter on the row's user.
    pub filter: Option<AttributeFilter>,
    /// Case-insensitive substring of the user id (users only).
    pub search: Option<String>,
    /// Sort keys, most significant first (a stable tie-breaker is always appended).
    pub sort: Vec<SortKey<C>>,
    /// At most this many rows.
    pub limit: Option<i64>,
    /// Skip this many rows.
    pub offset: i64,
}

impl<C> Default for ListQuery<C> {
    fn default() -> Self {
        Self {
            filter: None,
            search: None,
            sort: Vec::new(),
            limit: None,
            offset: 0,
        }
    }
}

/// A column that a list can be sorted by: its SQL expression.
pub trait SortColumn: Copy {
    /// A fixed SQL expression (never request text).
    fn expression(self) -> &'static str;
}

/// Appends `AND EXISTS (…)` keeping rows whose user (`user_expr`, on server `server_expr`) has
/// the filter's attribute.
pub(crate) fn push_attribute_filter(
    sql: &mut Sql,
    filter: &AttributeFilter,
    server_expr: &str,
    user_expr: &str,
) {
    sql.push(&format!(
        " AND EXISTS (SELECT 1 FROM attributes t WHERE t.scope = 'user' AND t.server_id = {server_expr} \
         AND t.userid = {user_expr} AND t.attr_key = "
    ));
    sql.bind(Bind::Text(filter.key.clone()));
    sql.push(" AND t.attr_value IN (");
    let mut first = true;
    for value in &filter.values {
        // Stored values are canonical JSON: a string matches its quoted form, a number or a
        // boolean its bare text.
        let quoted = serde_json::Value::String(value.clone()).to_string();
        for candidate in [quoted, value.clone()] {
            if !first {
                sql.push(", ");
            }
            first = false;
            sql.bind(Bind::Text(candidate));
        }
    }
    sql.push("))");
}

/// Appends `ORDER BY …` (with `tie_breaker` last) and `LIMIT`/`OFFSET`.
pub(crate) fn push_order_and_page<C: SortColumn>(
    sql: &mut Sql,
    query: &ListQuery<C>,
    tie_breaker: &str,
) {
    sql.push(" ORDER BY ");
    for key in &query.sort {
        sql.push(key.column.expression());
        sql.push(if key.descending { " DESC, " } else { " ASC, " });
    }
    sql.push(tie_breaker);
    // Both databases accept LIMIT with OFFSET; "no limit" is the largest BIGINT.
    sql.push(" LIMIT ");
    sql.bind(Bind::Int(query.limit.unwrap_or(i64::MAX)));
    sql.push(" OFFSET ");
    sql.bind(Bind::Int(query.offset));
}

/// `%text%` for `LIKE … ESCAPE '\'`, with the wildcards in `text` escaped.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    struct Col;
    impl SortColumn for Col {
        fn expression(self) -> &'static str {
            "a.created"
        }
    }

    #[test]
    fn builds_numbered_placeholders_and_escapes_like() {
        let mut sql = Sql::new("SELECT * FROM accounts a WHERE a.server_id = ");
        sql.bind(Bind::Bytes(vec![0; 16]));
        let filter = AttributeFilter {
            key: "group".into(),
            values: vec!["x".into()],
        };
        push_attribute_filter(&mut sql, &filter, "a.server_id", "a.userid");
        let query = ListQuery {
            sort: vec![SortKey {
                column: Col,
                descending: true,
            }],
            limit: Some(5),
            ..ListQuery::default()
        };
        push_order_and_page(&mut sql, &query, "a.account_id");
        assert!(sql
            .text()
            .contains("t.attr_key = $2 AND t.attr_value IN ($3, $4))"));
        assert!(sql
            .text()
            .ends_with("ORDER BY a.created DESC, a.account_id LIMIT $5 OFFSET $6"));
        assert_eq!(like_pattern("A_b%"), "%a\\_b\\%%");
    }
}
