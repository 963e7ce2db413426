
BlogitsJ(Xiёю√та ╧≥юn═t@├}абYа:Уюl*аj╧С©xzю