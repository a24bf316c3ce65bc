// open_findings_by_area — how many open findings and recommendations each area has
// params: —
// The count is stored with each area by the build (kg.pg.finding_counts).
MATCH (ar:Area)
WHERE ar.open_findings IS NOT NULL
RETURN ar.id AS area, ar.label AS label, ar.open_findings AS open
ORDER BY open DESC, area
