
BlogitsJ(ÌSÁ$ïM?*Aª8ÁcJÁÜ	RÁÂTÁÙ$Áa‚À+$Á