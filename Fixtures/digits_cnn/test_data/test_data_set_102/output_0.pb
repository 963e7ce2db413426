
BlogitsJ(XH'Áf’é¿)?AS‘ûÀ	ŸKÁ¬Áˆ¤sÁÀÀ#†ÊÀçHÁ