{#-
    A count of users broken down by demographics must hold at least var('k_anonymity')
    users in every row (k-anonymity): the rows with fewer fail the test, and the build.
-#}
{% test at_least_k_users(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < {{ var('k_anonymity') }}
{% endtest %}
