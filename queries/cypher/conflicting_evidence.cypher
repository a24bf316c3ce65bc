// conflicting_evidence — findings and recommendations with both supporting and contradicting follow-ups (reviewer-rejected links ignored)
// params: area
MATCH (f:Statement)-[r:FOLLOWED_UP_BY]->(:Statement)
WHERE (f.kind = 'recommendation' OR (f.kind = 'finding' AND f.polarity = 'weakness'))
  AND coalesce(r.reviewed, '') <> 'rejected'
  AND ($area = '' OR f.area = $area)
WITH f, count(CASE WHEN r.relation = 'supports' THEN 1 END) AS supports,
        count(CASE WHEN r.relation = 'contradicts' THEN 1 END) AS contradicts
WHERE supports > 0 AND contradicts > 0
RETURN f.id AS finding, supports, contradicts
ORDER BY finding
