-- depends_on: {{ ref("rejected_users") }}
-- depends_on: {{ ref("build_summary") }}
-- depends_on: {{ ref("course_similarity") }}
-- depends_on: {{ ref("campaign_audiences") }}
-- depends_on: {{ ref("user_profiles") }}
-- depends_on: {{ ref("user_recommendations") }}
-- PII never leaves staging in the clear: no column named email or phone exists in any
-- intermediate or mart table.
select table_schema, table_name, column_name
from information_schema.columns
where table_catalog = current_database()
    and table_schema not in ('staging')
    and lower(column_name) in ('email', 'phone')
