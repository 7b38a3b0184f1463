"""The subset of the Sumo Logic query language that the local Sumo twin uses to evaluate Logs monitors.

    from emulator.sumo.query import compile_query, QueryError, LogRecord
    rows = compile_query('_sourceCategory=prod/api "/api/data" | count').run(records)

Supported: the search scope (keywords, "phrases", `*` wildcards, `_sourceCategory=` `_sourceName=` `_sourceHost=`
`_collector=` `_source=` with wildcards, AND/OR/NOT/!, parentheses), then `parse "a*b" as x [nodrop] [field=f]`,
`parse regex` / `extract "(?<n>...)" [nodrop] [multi] [field=f]`, `json [field=f] "k", "a.b[0]" [as x, y] [nodrop]`,
`json auto`, `num(f) [as g]`, `where <expr>`, `timeslice 1m [as t]`, `fields [-] a, b`, `sort [by] f [asc|desc]`,
`limit n`, and the aggregates `count`, `count(f)`, `count_distinct(f)`, `sum`, `avg`, `min`, `max`, `pct(f, p...)`
with `as` aliases, several per stage, and `by` groups. Anything else raises QueryError naming the operator.

Where Sumo's behaviour is not documented this engine chooses the stricter reading:
* A line starting with `//` is a comment; `//` after other text on a line is not treated as one.
* Keywords and phrases are case-insensitive substrings of `_raw`; `*` is a wildcard in bare keywords, literal inside
  quotes. A `field=value` term in the scope must name a metadata field (other fields belong in `| where`).
* A field not defined by the record or an earlier operator is a compile error (except after `json auto`).
  Field names resolve case-insensitively.
* Strings: `\\"` is the only escape; other backslashes reach the regex engine unchanged. `(?<n>..)` named groups
  become Python `(?P<n>..)`; unnamed capturing groups are rejected (Sumo requires `(?:..)`).
* Parse-type operators (parse, parse regex, json) drop a message they cannot parse unless `nodrop`; with `nodrop`
  the fields are null. A regex group that did not take part in the match is null. `json "a.b"` needs `as` because
  `a.b` is not a field name; JSON numbers and booleans become text, objects compact JSON text.
* `num` of a non-numeric value is null. Null makes comparisons false and arithmetic null. `< > <= >=` compare
  numbers only (numeric strings are converted); `= != <>` compare numbers when either side is a number, otherwise
  case-sensitive strings. `matches` must match the whole value, case-sensitively.
* Aggregates skip null and non-numeric values; `pct` is the exact nearest-rank percentile; default names are
  `_count`, `_count_distinct`, `_sum`, `_avg`, `_min`, `_max`, `_<field>_pct_<p>`. An aggregate over zero messages
  returns zero rows, also without `by` (undocumented in Sumo; a monitor then sees 0 rows and nothing to compare).
* Aggregate rows keep the order groups first appeared, except that a group by a timeslice field is sorted oldest
  first. Non-aggregate rows come in input order. `sort` is descending unless `asc`, as in Sumo.
* `timeslice` must be followed by an aggregate; `timeslice N buckets` is not supported.
"""

from emulator.sumo.query.compiler import CompiledQuery, Summary, compile_query
from emulator.sumo.query.errors import QueryError
from emulator.sumo.query.records import LogRecord, Message

__all__ = ["CompiledQuery", "LogRecord", "Message", "QueryError", "Summary", "compile_query"]
