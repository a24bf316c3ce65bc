// trace_finding — where a finding is written and what later statements said about it (one row with empty evidence when nothing did)
// params: finding
MATCH (f:Statement {id: $finding})
OPTIONAL MATCH (f)-[r:FOLLOWED_UP_BY]->(e:Statement)
WHERE coalesce(r.reviewed, '') <> 'rejected'
RETURN f.id AS finding, f.quote AS finding_quote, e.id AS evidence, e.quote AS evidence_quote,
       e.document AS document, e.date AS date, r.relation AS relation, r.score AS score
ORDER BY date, evidence
