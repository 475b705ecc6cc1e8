-- Nothing is lost between the raw files and the models: for every raw entity, rows
-- accepted (stg_*; for events, int_events_accepted, after the catalog rule) plus rows in
-- rejected_* equal the rows read.
{%- for entity in raw_contract() %}
select
    '{{ entity }}' as entity,
    (select count(*) from {{ ref('base_raw__' ~ entity) }}) as rows_read,
    {%- set accepted = ref('int_events_accepted') if entity == 'events' else ref('stg_raw__' ~ entity) %}
    (select count(*) from {{ accepted }}) as rows_accepted,
    (select count(*) from {{ ref('rejected_' ~ entity) }}) as rows_rejected
where rows_accepted + rows_rejected != rows_read
{{ "union all" if not loop.last }}
{%- endfor %}
