-- Every model_health check that is not ok, as a warning: `dbt build` users see what
-- `learnmart build` prints (the build still passes; model_health is the record).
{{ config(severity='warn') }}

select area, check_name, status, value, threshold, message
from {{ ref('model_health') }}
where status != 'ok'
