
BlogitsJ(J÷·ÀŠDKÀ^Ÿ›Àx¤ðÀãÎÁFHIÁïbøÀ´yÁ4‚ð@¬ÈòÀ