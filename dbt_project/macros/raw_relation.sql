{#-
    Raw input contract (v1): the columns of each raw entity, and which ones a file must have.
    Everything else is optional and may be left out of the file altogether.
-#}
{% macro raw_contract() %}
    {{ return({
        'events': {
            'columns': ['event_id', 'user_id', 'course_id', 'event_type', 'event_ts',
                        'amount', 'currency', 'rating', 'channel', 'duration_seconds', 'progress'],
            'required': ['user_id', 'event_type', 'event_ts'],
        },
        'courses': {
            'columns': ['course_id', 'title', 'category', 'tags', 'format', 'price',
                        'instructor_id', 'published_at'],
            'required': ['course_id'],
        },
        'users': {
            'columns': ['user_id', 'signup_ts', 'channel', 'marketing_consent', 'email', 'phone',
                        'age_band', 'gender', 'region', 'occupation', 'education'],
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


{#-
    Column names no raw file may have: exact birthdates and addresses identify a person and
    learnmart needs only bands and regions (docs/raw_contract.md). A file with one of them
    stops the build, so the value never reaches even staging.
-#}
{% macro refused_raw_columns() %}
    {{ return(['birthdate', 'birth_date', 'date_of_birth', 'dob', 'birthday',
               'address', 'street', 'street_address', 'home_address', 'postal_address']) }}
{% endmacro %}


{#-
    The files of one raw entity: {'parquet': [...], 'csv': [...]}, each in path order. The
    list is learnmart.raw_files.scan's, whoever runs dbt: `learnmart build` writes it to its
    manifest ($LEARNMART_RAW_FILES_MANIFEST, which base_raw__files also reads), and dbt run
    directly asks the UDF learnmart_raw_files (udfs/plugin.py) for the same list.
-#}
{% macro raw_files(entity) %}
    {%- set found = {'parquet': [], 'csv': []} -%}
    {%- if execute -%}
        {%- set manifest = build_setting('raw_files_manifest', '') -%}
        {%- if manifest -%}
            {%- set sql -%}
                select file from read_json(
                    {{ learnmart_path(manifest) }}, format = 'array', columns = {entity: 'varchar', file: 'varchar'}
                )
                where entity = {{ learnmart_quote(entity) }}
                order by file
            {%- endset -%}
        {%- else -%}
            {%- set sql -%}
                select unnest(learnmart_raw_files({{ learnmart_quote(build_setting('data_dir')) }}, {{ learnmart_quote(entity) }}))
            {%- endset -%}
        {%- endif -%}
        {%- for row in run_query(sql) -%}
            {%- do found['parquet' if row[0].lower().endswith('.parquet') else 'csv'].append(row[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{% endmacro %}


{% macro learnmart_quote(text) -%}
    '{{ text | string | replace("'", "''") }}'
{%- endmacro %}


{#-
    A file path as a literal DuckDB's file readers take as it is: they expand [, * and ? as
    glob patterns (a file events/day[1].csv would read events/day1.csv), so each of them is
    written as a one-character class. learnmart.raw_files.sql_path is the same in Python.
-#}
{% macro learnmart_path(path) -%}
    {{ learnmart_quote(path | string | replace('[', '[[]') | replace('*', '[*]') | replace('?', '[?]')) }}
{%- endmacro %}


{% macro learnmart_file_list(files) -%}
    [{% for f in files %}{{ learnmart_path(f) }}{{ ", " if not loop.last }}{% endfor %}]
{%- endmacro %}


{#-
    A subquery over one raw entity with every contract column as trimmed text, plus
    _source_file and _source_row (the row's position in the read, for tracing a rejected
    row back to its file). Every column is read as text so that nothing fails to parse on
    the way in: typing and validation happen in the staging model, where a bad value
    becomes a rejected row with a reason instead of a failed build. Columns the files leave
    out are NULL; a required column that is missing, or a column named twice in a CSV
    header, stops the build with the file named.
    `skip_files`: files already loaded by an earlier build (incremental staging).
    The model that calls it depends on source('raw', entity) (models/staging/raw/_raw__sources.yml).
-#}
{% macro raw_relation(entity, skip_files=[]) %}
    {#- the entity's dbt source: lineage starts at the files (read below, not through it) -#}
    {%- do source('raw', entity) -%}
    {%- set contract = raw_contract()[entity] -%}
    {%- set found = raw_files(entity) -%}
    {%- set any_found = (found['parquet'] + found['csv']) | length > 0 -%}
    {%- set files = {
        'parquet': found['parquet'] | reject('in', skip_files) | list,
        'csv': found['csv'] | reject('in', skip_files) | list,
    } -%}
    {#- parallel = false: DuckDB's parallel CSV reader refuses quoted line breaks with
        null_padding, and _source_row's window reads in file order on one thread anyway -#}
    {%- set csv_scan = "read_csv(" ~ learnmart_file_list(files['csv'])
        ~ ", header = true, all_varchar = true, union_by_name = true, null_padding = true"
        ~ ", parallel = false, filename = '_source_file', encoding = 'utf-8')"
        if files['csv'] else none -%}
    {%- if execute and files['parquet'] -%}
        {%- set parquet = raw_parquet_scan(files['parquet']) -%}
    {%- else -%}
        {%- set parquet = {'scan': none, 'rows': 0} -%}
    {%- endif -%}
    {%- set scans = [parquet['scan'], csv_scan] | reject('none') | list -%}
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
        {%- set present = raw_columns(entity, contract, scans, files) -%}
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
                {%- if parquet['scan'] %}
                select * from {{ parquet['scan'] }}
                {%- endif %}
                {%- if parquet['scan'] and csv_scan %}
                union all by name
                {%- endif %}
                {%- if csv_scan %}
                select *, cast({{ parquet['rows'] }} + row_number() over () as bigint) as _source_row
                from {{ csv_scan }}
                {%- endif %}
            ) as raw_rows
        )
    {%- endif -%}
{% endmacro %}


{#-
    The parquet files as one relation of text columns with _source_file and _source_row:
    {'scan': subquery, 'rows': their row count}. Files are read in groups of one schema
    each, every column cast to text within its group, so that a column typed differently
    in two files (a number here, text or a struct there) is text in both instead of a cast
    error. _source_row numbers the rows across all the files, in path order, from each
    file's row number and the row counts of the files before it (file footers): a window
    over the whole read would run on one thread.
-#}
{% macro raw_parquet_scan(files) %}
    {%- set footers = {} -%}
    {%- set sql -%}
        select
            m.file_name,
            any_value(m.num_rows) as num_rows,
            md5(string_agg(
                concat_ws(':', s.name, s.type, s.converted_type, s.logical_type, s.num_children, s.repetition_type),
                '|' order by s.name, s.type, s.logical_type
            )) as schema_key
        from parquet_file_metadata({{ learnmart_file_list(files) }}) as m
        inner join parquet_schema({{ learnmart_file_list(files) }}) as s on m.file_name = s.file_name
        group by m.file_name
    {%- endset -%}
    {%- for row in run_query(sql) -%}
        {%- do footers.update({row[0]: {'rows': row[1] | int, 'schema': row[2]}}) -%}
    {%- endfor -%}
    {%- set offsets = {} -%}
    {%- set groups = {} -%}
    {%- set total = namespace(rows=0) -%}
    {%- for file in files -%}
        {%- do offsets.update({file: total.rows}) -%}
        {%- set total.rows = total.rows + footers[file]['rows'] -%}
        {%- do groups.setdefault(footers[file]['schema'], []).append(file) -%}
    {%- endfor -%}
    {%- set branches = [] -%}
    {%- for group in groups.values() -%}
        {%- set group_offsets = [] -%}
        {%- for file in group -%}
            {%- do group_offsets.append(offsets[file]) -%}
        {%- endfor -%}
        {%- do branches.append(
            "select cast(columns(* exclude (file_row_number)) as varchar), file_row_number + 1 + list_extract(cast("
            ~ group_offsets ~ " as bigint[]), cast(file_index as bigint) + 1) as _source_row from read_parquet("
            ~ learnmart_file_list(group) ~ ", union_by_name = true, filename = '_source_file', file_row_number = true)") -%}
    {%- endfor -%}
    {{ return({'scan': '(' ~ branches | join(' union all by name ') ~ ')', 'rows': total.rows}) }}
{% endmacro %}


{#-
    The contract columns the scans have, {lower-cased name: name as read}. Stops the build
    when a required column is missing, when a file has a refused column (refused_raw_columns),
    or when a CSV header names a contract column twice
    (DuckDB would read the first and rename the second, silently).
-#}
{% macro raw_columns(entity, contract, scans, files) %}
    {%- set present = {} -%}
    {%- set suspects = [] -%}
    {%- for scan in scans -%}
        {%- for row in run_query("describe select * from " ~ scan) -%}
            {%- set name = row[0] | lower -%}
            {%- do present.update({name: row[0]}) if name not in present -%}
            {%- set base = modules.re.sub('_[0-9]+$', '', name) -%}
            {%- do suspects.append(base) if base != name and base in contract['columns'] -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for file in files['csv'] if suspects -%}
        {%- set sql -%}
            select * from read_csv({{ learnmart_path(file) }}, header = false, all_varchar = true, parallel = false)
            limit 1
        {%- endset -%}
        {%- for first_row in run_query(sql) -%}
            {%- set header = first_row | map('string') | map('trim') | map('lower') | list -%}
            {%- for col in contract['columns'] if header.count(col) > 1 -%}
                {{ exceptions.raise_compiler_error(
                    entity ~ " file " ~ file ~ " names the column '" ~ col ~ "' twice in its header: "
                    ~ "rename or remove one of them") }}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for col in present if col in refused_raw_columns() -%}
        {{ exceptions.raise_compiler_error(
            entity ~ " file(s) " ~ (files['parquet'] + files['csv']) | join(', ') ~ " have a column '"
            ~ present[col] ~ "': learnmart refuses exact birthdates and addresses (data minimization); "
            ~ "remove it, or deliver age_band or region instead") }}
    {%- endfor -%}
    {%- for col in contract['required'] -%}
        {%- if col not in present -%}
            {{ exceptions.raise_compiler_error(
                entity ~ " file(s) " ~ (files['parquet'] + files['csv']) | join(', ')
                ~ " have no column '" ~ col ~ "' (required by the raw contract)") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(present) }}
{% endmacro %}


{#-
    The generator's hidden ground truth (data_dir/truth/<name>.parquet), or an empty
    relation with the given columns when the data did not come from the generator.
-#}
{% macro truth_relation(name, columns) %}
    {%- set path = (build_setting('data_dir') | string).rstrip('/') ~ '/truth/' ~ name ~ '.parquet' -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- for row in run_query("select file from glob(" ~ learnmart_path(path) ~ ")") -%}
            {%- do found.append(row[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if found -%}
        (select {{ columns.keys() | join(', ') }} from read_parquet({{ learnmart_path(found[0]) }}))
    {%- else -%}
        (select {% for c, t in columns.items() %}cast(null as {{ t }}) as {{ c }}{{ ", " if not loop.last }}{% endfor %} where false)
    {%- endif -%}
{% endmacro %}
