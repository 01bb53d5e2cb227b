"""Village work records (村级工作台账): collective economy, villagers' meetings, volunteer service, livability and
cadre training. A package inside the villages app: its models register under the ``villages`` app label
because ``villages.models`` imports them, its URLs live in the ``villages`` namespace with a ``work_`` prefix.
"""
