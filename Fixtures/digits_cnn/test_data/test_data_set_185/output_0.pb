
BlogitsJ(Ζη/Α=·Α„aΕΐHk@jCΑϋ9Αυϋ#ΑD?2ΑtτΐVE3ΐ