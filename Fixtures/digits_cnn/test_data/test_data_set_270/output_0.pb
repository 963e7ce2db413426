
BlogitsJ(R°ÁPµcÁØF"ÁDÏAA/ôKÁ}WäÀ -/Á§ÝÀ¬qõÀD&À