"""What every procedure shares: audited flow nodes, (to come) rule-sets, meetings and ballots."""
