{#-
    Raw input contract (v1): the columns of each raw entity, and which ones a file must have.
    Everything else is optional and may be left out of the file altogether.
-#}
{% macro raw_contract() %}
    {{ return({
        'events': {
            'columns': ['event_id', 'user_id', 'course_id', 'event_type', 'event_ts',
                        'amount', 'currency', 'rating', 'channel'],
            'required': ['user_id', 'event_type', 'event_ts'],
        },
        'courses': {
            'columns': ['course_id', 'title', 'category', 'tags', 'format', 'price',
                        'instructor_id', 'published_at'],
            'required': ['course_id'],
        },
        'users': {
            'columns': ['user_id', 'signup_ts', 'channel', 'marketing_consent', 'email', 'phone'],
            'required': ['user_id'],
        },
        'campaign_sends': {
            'columns': ['user_id', 'campaign', 'group', 'sent_at'],
            'required': ['user_id', 'campaign', 'sent_at'],
        },
        'suppressions': {
            'columns': ['user_id', 'reason'],
            'required': ['user_id'],
        },
    }) }}
{% endmacro %}


{#- The files of one raw entity under build_setting('data_dir'): {'parquet': [...], 'csv': [...]}. -#}
{% macro raw_files(entity) %}
    {%- set dir = build_setting('data_dir') | string | replace("\\", "/") -%}
    {%- set dir = dir[:-1] if dir.endswith('/') else dir -%}
    {%- set found = {'parquet': [], 'csv': []} -%}
    {%- if execute -%}
        {%- for ext in ['parquet', 'csv'] -%}
            {%- for pattern in [dir ~ '/' ~ entity ~ '.' ~ ext, dir ~ '/' ~ entity ~ '/*.' ~ ext] -%}
                {%- set sql -%}
                    select file from glob({{ learnmart_quote(pattern) }}) order by file
                {%- endset -%}
                {%- for row in run_query(sql) -%}
                    {%- do found[ext].append(row[0]) -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{% endmacro %}


{% macro learnmart_quote(text) -%}
    '{{ text | string | replace("'", "''") }}'
{%- endmacro %}


{% macro learnmart_file_list(files) -%}
    [{% for f in files %}{{ learnmart_quote(f) }}{{ ", " if not loop.last }}{% endfor %}]
{%- endmacro %}


{#-
    A subquery over one raw entity with every contract column as trimmed text, plus
    _source_file and _source_row (the row's position in the read, for tracing a rejected
    row back to its file). CSV is read as text so that nothing fails to parse on the way
    in: typing and validation happen in the staging model, where a bad value becomes a
    rejected row with a reason instead of a failed build. Columns the files leave out are
    NULL; a required column that is missing stops the build with the file named.
    `skip_files`: files already loaded by an earlier build (incremental staging).
-#}
{% macro raw_relation(entity, skip_files=[]) %}
    {%- set contract = raw_contract()[entity] -%}
    {%- set found = raw_files(entity) -%}
    {%- set any_found = (found['parquet'] + found['csv']) | length > 0 -%}
    {%- set files = {
        'parquet': found['parquet'] | reject('in', skip_files) | list,
        'csv': found['csv'] | reject('in', skip_files) | list,
    } -%}
    {%- set parquet_scan = "read_parquet(" ~ learnmart_file_list(files['parquet'])
        ~ ", union_by_name = true, filename = '_source_file', file_row_number = true)"
        if files['parquet'] else none -%}
    {%- set csv_scan = "read_csv(" ~ learnmart_file_list(files['csv'])
        ~ ", header = true, all_varchar = true, union_by_name = true, null_padding = true"
        ~ ", filename = '_source_file', encoding = 'utf-8')"
        if files['csv'] else none -%}
    {%- set scans = [parquet_scan, csv_scan] | reject('none') | list -%}
    {%- if not execute or not scans -%}
        {%- if execute and entity in ['events'] and not any_found -%}
            {{ exceptions.raise_compiler_error(
                "no " ~ entity ~ " file in data_dir '" ~ build_setting('data_dir') ~ "': expected "
                ~ entity ~ ".parquet, " ~ entity ~ ".csv or a folder " ~ entity ~ "/ of them") }}
        {%- endif -%}
        (
            select
                {%- for col in contract['columns'] %}
                cast(null as varchar) as "{{ col }}",
                {%- endfor %}
                cast(null as varchar) as _source_file,
                cast(null as bigint) as _source_row
            where false
        )
    {%- else -%}
        {%- set present = {} -%}
        {%- for scan in scans -%}
            {%- for row in run_query("describe select * from " ~ scan) -%}
                {%- do present.update({row[0] | lower: row[0]}) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for col in contract['required'] -%}
            {%- if col not in present -%}
                {{ exceptions.raise_compiler_error(
                    entity ~ " file(s) " ~ (files['parquet'] + files['csv']) | join(', ')
                    ~ " have no column '" ~ col ~ "' (required by the raw contract)") }}
            {%- endif -%}
        {%- endfor -%}
        {#-
            _source_row: parquet rows are numbered from each file's row number and the row
            counts of the files before it (file footers); CSV rows, after them, by a window.
            A window over the whole read runs on one thread in read order: numbering the
            parquet rows without it took base_raw__events from 4.6 to 3.4 s at 5M events and
            from 25-35 to 16-18 s at 25M, with the same rows and numbers.
        -#}
        {%- set offsets = [] -%}
        {%- set parquet = namespace(rows=0) -%}
        {%- if parquet_scan -%}
            {%- set counts = {} -%}
            {%- set sql -%}
                select file_name, num_rows
                from parquet_file_metadata({{ learnmart_file_list(files['parquet']) }})
            {%- endset -%}
            {%- for row in run_query(sql) -%}
                {%- do counts.update({row[0]: row[1] | int}) -%}
            {%- endfor -%}
            {%- for file in files['parquet'] -%}
                {%- do offsets.append(parquet.rows) -%}
                {%- set parquet.rows = parquet.rows + counts[file] -%}
            {%- endfor -%}
        {%- endif -%}
        (
            select
                {%- for col in contract['columns'] %}
                {%- if col in present %}
                nullif(trim(cast("{{ present[col] }}" as varchar)), '') as "{{ col }}",
                {%- else %}
                cast(null as varchar) as "{{ col }}",
                {%- endif %}
                {%- endfor %}
                _source_file,
                _source_row
            from (
                {%- if parquet_scan %}
                select
                    *,
                    file_row_number + 1 + list_extract(cast({{ offsets }} as bigint[]), cast(file_index as bigint) + 1)
                        as _source_row
                from {{ parquet_scan }}
                {%- endif %}
                {%- if parquet_scan and csv_scan %}
                union all by name
                {%- endif %}
                {%- if csv_scan %}
                select *, cast({{ parquet.rows }} + row_number() over () as bigint) as _source_row
                from {{ csv_scan }}
                {%- endif %}
            ) as raw_rows
        )
    {%- endif -%}
{% endmacro %}


{#-
    The generator's hidden ground truth (data_dir/truth/<name>.parquet), or an empty
    relation with the given columns when the data did not come from the generator.
-#}
{% macro truth_relation(name, columns) %}
    {%- set dir = build_setting('data_dir') | string | replace("\\", "/") -%}
    {%- set path = dir ~ '/truth/' ~ name ~ '.parquet' -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- for row in run_query("select file from glob(" ~ learnmart_quote(path) ~ ")") -%}
            {%- do found.append(row[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if found -%}
        (select {{ columns.keys() | join(', ') }} from read_parquet({{ learnmart_quote(found[0]) }}))
    {%- else -%}
        (select {% for c, t in columns.items() %}cast(null as {{ t }}) as {{ c }}{{ ", " if not loop.last }}{% endfor %} where false)
    {%- endif -%}
{% endmacro %}
