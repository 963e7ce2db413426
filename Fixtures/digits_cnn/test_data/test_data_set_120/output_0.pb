
BlogitsJ(•Ó≥¿s/¡ª5WA˙nAø>Aà¡&o¡Í^Û¿∏g–¿¢-U¿æ[¡